package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	le "encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/verify"
	"github.com/lazchain/lazchain/internal/wasmrun"
)

// fixture is one artifact the test submits, with the verdict it must get.
type fixture struct {
	data   []byte
	sub    idao.Submit
	valid  bool
	reason string // a substring of the reason, for invalid ones
}

const datasetSchema = `{"columns":[{"name":"id","type":"int","required":true},{"name":"score","type":"float"},{"name":"tag","type":"string"}]}`

func csvDataset(rng *rand.Rand, rows int, badRow int) []byte {
	var b strings.Builder
	b.WriteString("id,score,tag\n")
	for i := 1; i <= rows; i++ {
		if i == badRow {
			fmt.Fprintf(&b, "%d,not-a-number,x\n", i)
			continue
		}
		fmt.Fprintf(&b, "%d,%d.%d,t%d\n", i, rng.IntN(1000), rng.IntN(10), rng.IntN(50))
	}
	return []byte(b.String())
}

func jsonlDataset(rng *rand.Rand, rows int) []byte {
	var b bytes.Buffer
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&b, `{"id":%d,"score":%d.5,"tag":"j%d"}`+"\n", i, rng.IntN(1000), rng.IntN(9))
	}
	return b.Bytes()
}

// safetensors writes a one-tensor F32 model file.
func safetensors(rng *rand.Rand, n int) []byte {
	hdr, _ := json.Marshal(map[string]any{"weight": map[string]any{"dtype": "F32", "shape": []int{n}, "data_offsets": []int{0, 4 * n}}})
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	out := le.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	out = append(out, hdr...)
	for i := 0; i < n; i++ {
		out = le.LittleEndian.AppendUint32(out, rng.Uint32())
	}
	return out
}

func agentRun(module, input []byte, claim [32]byte) ([]byte, [32]byte) {
	return verify.EncodeAgentRun(module, input), claim
}

// mixedFixtures returns n artifacts for two iDAOs ("data" takes datasets
// and models, "compute" agent runs), with a few that must be invalid.
func mixedFixtures(seed uint64, n int) []fixture {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []fixture
	add := func(f fixture) { f.sub.Verifier = f.sub.Kind.String() + "/v1"; out = append(out, f) }
	add(fixture{data: csvDataset(rng, 40, 3), sub: idao.Submit{IDAO: "data", Kind: verify.KindDataset, Format: "csv", Schema: []byte(datasetSchema)}, reason: "row 3"})
	wrong := sha256.Sum256([]byte("not the output"))
	d, c := agentRun(wasmrun.EchoModule(), []byte("input"), wrong)
	add(fixture{data: d, sub: idao.Submit{IDAO: "compute", Kind: verify.KindAgentRun, Format: "wasm", Claim: c}, reason: "digest"})
	d, c = agentRun(wasmrun.LoopForeverModule(), []byte("x"), wrong)
	add(fixture{data: d, sub: idao.Submit{IDAO: "compute", Kind: verify.KindAgentRun, Format: "wasm", Claim: c}, reason: "fuel"})
	for i := 0; len(out) < n; i++ {
		switch i % 4 {
		case 0:
			add(fixture{data: csvDataset(rng, 50+i, 0), sub: idao.Submit{IDAO: "data", Kind: verify.KindDataset, Format: "csv", Schema: []byte(datasetSchema)}, valid: true})
		case 1:
			add(fixture{data: jsonlDataset(rng, 30+i), sub: idao.Submit{IDAO: "data", Kind: verify.KindDataset, Format: "jsonl", Schema: []byte(datasetSchema)}, valid: true})
		case 2:
			add(fixture{data: safetensors(rng, 64+i), sub: idao.Submit{IDAO: "data", Kind: verify.KindModel, Format: "safetensors"}, valid: true})
		case 3:
			in := []byte(fmt.Sprintf("agent input %d", i))
			d, c := agentRun(wasmrun.EchoModule(), in, sha256.Sum256(in))
			add(fixture{data: d, sub: idao.Submit{IDAO: "compute", Kind: verify.KindAgentRun, Format: "wasm", Claim: c}, valid: true})
		}
	}
	for i := range out {
		out[i].sub.Name = fmt.Sprintf("artifact-%03d", i)
	}
	return out
}

// upload stores data on a node chunk by chunk and fills in the
// submission's root, size and chunk size.
func upload(ctx context.Context, c *rpc.Client, data []byte, chunk int, sub *idao.Submit) error {
	split, err := merkle.Split(bytes.NewReader(data), chunk, nil)
	if err != nil {
		return err
	}
	m := &blob.Manifest{Root: split.Root, Size: split.Size, ChunkSize: chunk, Leaves: split.Leaves}
	if _, err := c.PutManifest(ctx, m); err != nil {
		return err
	}
	for i := uint64(0); i < m.Count(); i++ {
		off := int(i) * chunk
		if err := c.PutChunk(ctx, m.Root, i, data[off:off+m.ChunkLen(i)]); err != nil {
			return err
		}
	}
	sub.Root, sub.Size, sub.ChunkSize = m.Root, uint64(m.Size), uint32(chunk)
	return nil
}
