package bench

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// AttestConfig is one attestation benchmark run.
type AttestConfig struct {
	Nodes     []string // API URLs
	ChainID   string
	Keys      []ed25519.PrivateKey // funded accounts that submit
	IDAOs     []string             // existing iDAOs accepting datasets
	Artifacts int
	Size      int64 // bytes per artifact
	ChunkSize int
	Timeout   time.Duration
	TempDir   string // where large artifacts are generated
	Seed      int    // makes this run's artifacts distinct from another run's
}

// AttestResult is what an attestation run measured.
type AttestResult struct {
	IDAOs      int           `json:"idaos"`
	Artifacts  int           `json:"artifacts"`
	Size       int64         `json:"size_bytes"`
	Attested   int           `json:"attested"`
	Invalid    int           `json:"invalid"`
	Upload     time.Duration `json:"upload_ns"`   // chunking and uploading only, not making the files
	Duration   time.Duration `json:"duration_ns"` // first submit to last anchored
	Total      time.Duration `json:"total_ns"`    // Upload + Duration: bytes on disk to verdicts on-chain
	PerSecond  float64       `json:"attestations_per_second"`
	P50        time.Duration `json:"latency_p50_ns"`
	P99        time.Duration `json:"latency_p99_ns"`
	VerifyMBps float64       `json:"verified_mb_per_second"`
}

const attestSchema = `{"columns":[{"name":"id","type":"int","required":true},{"name":"value","type":"float"},{"name":"label","type":"string"}]}`

// datasetReader streams a deterministic CSV dataset of about size bytes;
// seed makes each artifact's bytes (and so its root) distinct.
func datasetReader(seed int, size int64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 1<<20)
		n, _ := fmt.Fprintf(w, "id,value,label\n")
		written := int64(n)
		var line []byte
		for row := 1; written < size; row++ {
			line = appendRow(line[:0], seed, row)
			n, _ = w.Write(line)
			written += int64(n)
		}
		w.Flush()
		pw.Close()
	}()
	return pr
}

// appendRow appends row "id,value,label" of a dataset: strconv rather
// than fmt, so that generating a gigabyte does not take longer than
// verifying it.
func appendRow(b []byte, seed, row int) []byte {
	b = strconv.AppendInt(b, int64(row), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64((row*7919+seed)%100000), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(row%10), 10)
	b = append(b, ",s"...)
	b = strconv.AppendInt(b, int64(seed), 10)
	b = append(b, "-r"...)
	b = strconv.AppendInt(b, int64(row%977), 10)
	return append(b, '\n')
}

// RunAttest uploads Artifacts datasets, submits them round-robin to the
// iDAOs at once, and waits until each is anchored.
func RunAttest(ctx context.Context, cfg AttestConfig) (*AttestResult, error) {
	res := &AttestResult{IDAOs: len(cfg.IDAOs), Artifacts: cfg.Artifacts, Size: cfg.Size}
	subs, upload, err := uploadAll(ctx, cfg)
	if err != nil {
		return nil, err
	}
	res.Upload = upload
	submitted, err := submitAll(ctx, cfg, subs)
	if err != nil {
		return nil, err
	}
	anchored, invalid, err := watchAnchored(ctx, cfg, subs, submitted)
	if err != nil {
		return nil, err
	}
	var lats []time.Duration
	last := submitted
	for _, at := range anchored {
		lats = append(lats, at.Sub(submitted))
		if at.After(last) {
			last = at
		}
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	res.Attested, res.Invalid = len(anchored), invalid
	res.Duration = last.Sub(submitted)
	res.Total = res.Upload + res.Duration
	if len(lats) > 0 {
		res.P50, res.P99 = lats[len(lats)/2], lats[min(len(lats)-1, len(lats)*99/100)]
		res.PerSecond = float64(len(lats)) / max(res.Duration.Seconds(), 1e-3)
		res.VerifyMBps = float64(int64(len(lats))*cfg.Size) / 1e6 / max(res.Duration.Seconds(), 1e-3)
	}
	if len(anchored) < len(subs) {
		return res, fmt.Errorf("only %d of %d artifacts anchored within %s", len(anchored), len(subs), cfg.Timeout)
	}
	return res, nil
}

// uploadAll generates each artifact as a file and uploads it to node i
// mod len(nodes), a file at a time so memory stays bounded. Only the
// uploads are timed: a user's dataset is on disk before they submit it.
func uploadAll(ctx context.Context, cfg AttestConfig) ([]idao.Submit, time.Duration, error) {
	subs := make([]idao.Submit, cfg.Artifacts)
	var took time.Duration
	for i := range subs {
		name, err := writeDataset(cfg.TempDir, cfg.Seed+i, cfg.Size)
		if err != nil {
			return nil, 0, fmt.Errorf("artifact %d: %w", i, err)
		}
		start := time.Now()
		m, err := rpc.NewClient(cfg.Nodes[i%len(cfg.Nodes)]).UploadFile(ctx, name, cfg.ChunkSize, nil)
		took += time.Since(start)
		os.Remove(name)
		if err != nil {
			return nil, 0, fmt.Errorf("artifact %d: %w", i, err)
		}
		subs[i] = idao.Submit{IDAO: cfg.IDAOs[i%len(cfg.IDAOs)], Kind: verify.KindDataset, Root: m.Root, Size: uint64(m.Size),
			ChunkSize: uint32(m.ChunkSize), Name: fmt.Sprintf("bench-%d", i), Format: "csv", Schema: []byte(attestSchema), Verifier: "dataset/v1"}
	}
	return subs, took, nil
}

// writeDataset writes one generated dataset to a temporary file.
func writeDataset(dir string, seed int, size int64) (string, error) {
	f, err := os.CreateTemp(dir, "lazchain-attest-*.csv")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, datasetReader(seed, size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// submitAll signs every submission and sends them in batches; key k's
// transactions all go to one node so their nonces arrive in order.
func submitAll(ctx context.Context, cfg AttestConfig, subs []idao.Submit) (time.Time, error) {
	nonces := make([]uint64, len(cfg.Keys))
	for k, key := range cfg.Keys {
		acc, err := rpc.NewClient(cfg.Nodes[0]).Account(ctx, key.Public().(ed25519.PublicKey))
		if err != nil {
			return time.Time{}, err
		}
		nonces[k] = acc.Nonce
	}
	batches := make([][]*types.Tx, len(cfg.Keys))
	for i, s := range subs {
		k := i % len(cfg.Keys)
		tx := &types.Tx{ChainID: cfg.ChainID, Nonce: nonces[k], Kind: idao.KindSubmit, Body: s.Encode()}
		tx.Sign(cfg.Keys[k])
		nonces[k]++
		batches[k] = append(batches[k], tx)
	}
	start := time.Now()
	for k, b := range batches {
		if len(b) == 0 {
			continue
		}
		r, err := rpc.NewClient(cfg.Nodes[k%len(cfg.Nodes)]).SubmitBatch(ctx, b)
		if err != nil {
			return start, err
		}
		if len(r.Rejected) > 0 {
			return start, fmt.Errorf("%d submissions rejected, first: %+v", len(r.Rejected), r.Rejected[0])
		}
	}
	return start, nil
}

// watchAnchored polls each iDAO's attested artifacts and records when each
// submitted one first shows up.
func watchAnchored(ctx context.Context, cfg AttestConfig, subs []idao.Submit, since time.Time) (map[types.Hash]time.Time, int, error) {
	want := map[types.Hash]bool{}
	for _, s := range subs {
		want[idao.ArtifactID(s)] = true
	}
	seen := map[types.Hash]time.Time{}
	invalid := 0
	c := rpc.NewClient(cfg.Nodes[0])
	deadline := since.Add(cfg.Timeout)
	for len(seen) < len(want) && time.Now().Before(deadline) {
		for _, name := range cfg.IDAOs {
			after := ""
			for {
				var page struct {
					Artifacts []rpc.ArtifactView `json:"artifacts"`
					Next      string             `json:"next"`
				}
				q := "/artifacts?status=attested&limit=1000&idao=" + name + after
				if err := c.GetJSON(ctx, q, &page); err != nil {
					return seen, invalid, err
				}
				now := time.Now()
				for _, a := range page.Artifacts {
					id, err := types.ParseHash(a.ID)
					if err != nil || !want[id] {
						continue
					}
					if _, ok := seen[id]; !ok {
						seen[id] = now
						if a.Verdict != "valid" {
							invalid++
						}
					}
				}
				if page.Next == "" {
					break
				}
				after = "&after=" + page.Next
			}
		}
		select {
		case <-ctx.Done():
			return seen, invalid, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return seen, invalid, nil
}
