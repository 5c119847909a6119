package state

import (
	"errors"
	"testing"
)

// TestReceiptRecordMalformed: a damaged record gives errBadReceipt, never
// a receipt or a panic.
func TestReceiptRecordMalformed(t *testing.T) {
	good := newBlockReceipts(3)
	good.add(Receipt{Code: OK}, true)
	good.add(Receipt{Code: BadSignature, Reason: "forged"}, true)
	good.add(Receipt{}, false)
	rec := good.encoded()
	if r, ok, err := receiptAt(rec, 9, 1); err != nil || !ok || r != (Receipt{Height: 9, Index: 1, Code: BadSignature, Reason: "forged"}) {
		t.Fatalf("good record: %+v %v %v", r, ok, err)
	}
	if has, err := hasReceipt(rec); err != nil || len(has) != 3 || !has[0] || !has[1] || has[2] {
		t.Fatalf("good record: has %v, %v", has, err)
	}
	cases := []struct {
		name string
		rec  []byte
	}{
		{"empty", nil},
		{"count only", rec[:4]},
		{"cut in a reason", rec[:len(rec)-3]},
		{"trailing byte", append(append([]byte(nil), rec...), 0)},
		{"count beyond the record", []byte{0xff, 0xff, 0xff, 0xff, 0}},
	}
	for _, c := range cases {
		if _, err := hasReceipt(c.rec); !errors.Is(err, errBadReceipt) {
			t.Errorf("%s: hasReceipt err = %v", c.name, err)
		}
	}
	if _, _, err := receiptAt(rec, 9, 3); !errors.Is(err, errBadReceipt) {
		t.Errorf("index past the count: err = %v", err)
	}
	if _, _, err := receiptAt(rec[:6], 9, 2); !errors.Is(err, errBadReceipt) {
		t.Errorf("cut before the index: err = %v", err)
	}
}
