package cli

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/rpc"
)

func blobCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "blob", Short: "Upload and fetch content-addressed data (artifact bytes)"}
	var url, out string
	var chunk int
	put := &cobra.Command{
		Use:   "put FILE",
		Short: "Upload a file in checked chunks; run it again to resume a broken upload",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := uploadFile(cmd, rpc.NewClient(url), args[0], chunk)
			if err != nil {
				return err
			}
			return printJSON(map[string]any{"root": hex.EncodeToString(m.Root[:]), "size": m.Size, "chunk_size": m.ChunkSize, "chunks": m.Count()})
		},
	}
	put.Flags().IntVar(&chunk, "chunk-size", merkle.DefaultChunk, "chunk size in bytes")
	get := &cobra.Command{
		Use:   "get ROOT",
		Short: "Download a blob, checking every chunk against its root",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := parseRoot(args[0])
			if err != nil {
				return err
			}
			return downloadBlob(cmd, rpc.NewClient(url), root, out)
		},
	}
	get.Flags().StringVar(&out, "out", "", "file to write (required)")
	get.MarkFlagRequired("out")
	for _, c := range []*cobra.Command{put, get} {
		addNodeFlag(c, &url)
		cmd.AddCommand(c)
	}
	return cmd
}

func parseRoot(s string) (blob.Hash, error) {
	var h blob.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%q is not a 64-digit hex root", s)
	}
	copy(h[:], b)
	return h, nil
}

// uploadFile hashes the file once (one chunk in memory), announces the
// manifest, then sends only the chunks the node lacks, so a second run
// after a break resumes where the first stopped.
func uploadFile(cmd *cobra.Command, c *rpc.Client, path string, chunkSize int) (*blob.Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	split, err := merkle.Split(f, chunkSize, nil)
	if err != nil {
		return nil, err
	}
	m := &blob.Manifest{Root: split.Root, Size: split.Size, ChunkSize: chunkSize, Leaves: split.Leaves}
	view, err := c.PutManifest(cmd.Context(), m)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, chunkSize)
	start, sent := time.Now(), int64(0)
	for k, i := range view.Missing {
		n := m.ChunkLen(i)
		if _, err := f.ReadAt(buf[:n], int64(i)*int64(chunkSize)); err != nil && err != io.EOF {
			return nil, fmt.Errorf("read chunk %d: %w", i, err)
		}
		if err := c.PutChunk(cmd.Context(), m.Root, i, buf[:n]); err != nil {
			return nil, fmt.Errorf("chunk %d: %w (run the command again to resume)", i, err)
		}
		sent += int64(n)
		progress(cmd.ErrOrStderr(), k+1, len(view.Missing), sent, start)
	}
	if len(view.Missing) > 0 {
		fmt.Fprintln(cmd.ErrOrStderr())
	}
	return m, nil
}

func downloadBlob(cmd *cobra.Command, c *rpc.Client, root blob.Hash, out string) error {
	m, err := c.Manifest(cmd.Context(), root)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	start, got := time.Now(), int64(0)
	for i := uint64(0); i < m.Count(); i++ {
		data, err := c.Chunk(cmd.Context(), m, i)
		if err != nil {
			f.Close()
			os.Remove(out)
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		got += int64(len(data))
		progress(cmd.ErrOrStderr(), int(i+1), int(m.Count()), got, start)
	}
	if m.Count() > 0 {
		fmt.Fprintln(cmd.ErrOrStderr())
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// progress redraws one line: a bar, chunks done and throughput.
func progress(w io.Writer, done, total int, bytes int64, start time.Time) {
	const width = 30
	filled := width * done / max(total, 1)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < filled {
			bar[i] = '#'
		}
	}
	rate := float64(bytes) / (1 << 20) / max(time.Since(start).Seconds(), 1e-3)
	fmt.Fprintf(w, "\r[%s] %d/%d chunks  %.1f MiB/s", bar, done, total, rate)
}
