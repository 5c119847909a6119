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

// uploadFile uploads a file with a progress bar; running it again after
// a break resumes the upload.
func uploadFile(cmd *cobra.Command, c *rpc.Client, path string, chunkSize int) (*blob.Manifest, error) {
	start := time.Now()
	shown := false
	m, err := c.UploadFile(cmd.Context(), path, chunkSize, func(done, total int, bytes int64) {
		progress(cmd.ErrOrStderr(), done, total, bytes, start)
		shown = true
	})
	if shown {
		fmt.Fprintln(cmd.ErrOrStderr())
	}
	return m, err
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
