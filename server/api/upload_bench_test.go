package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"hark/app/protocol"
	"hark/server/api"
	"hark/server/chat"
	"hark/server/natsstore"
)

// BenchmarkUpload10MB uploads over loopback HTTP to a server on the
// embedded NATS store: a 10 MB file that is no image (streamed to the
// object store in chunks) and a large PNG (read whole, decoded,
// thumbnailed). Besides throughput and B/op it reports the heap's peak
// growth during an upload (peak-heap-B), sampled every millisecond.
func BenchmarkUpload10MB(b *testing.B) {
	srv, nc, err := natsstore.Embedded(natsstore.EmbeddedConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { nc.Close(); srv.Shutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := natsstore.Open(ctx, nc, natsstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	c := chat.New(st.Chat(), chat.Config{FileRate: -1, AddrFileRate: -1, AddrRegisterRate: -1, AddrSessions: -1})
	b.Cleanup(c.Close)
	ts := httptest.NewServer(api.New(c, api.Config{MaxFileBytes: 32 << 20}))
	b.Cleanup(ts.Close)
	resp, err := http.Post(ts.URL+"/api/session", "application/json", bytes.NewReader([]byte(`{"name":"Bench"}`)))
	if err != nil {
		b.Fatal(err)
	}
	var sess protocol.Session
	json.NewDecoder(resp.Body).Decode(&sess)
	resp.Body.Close()

	file := make([]byte, 10<<20)
	rand.Read(file)
	// 2000x1500 pixels of noise: 12 MB as a PNG, 3 megapixels decoded.
	img := image.NewNRGBA(image.Rect(0, 0, 2000, 1500))
	rand.Read(img.Pix)
	var pngBuf bytes.Buffer
	(&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&pngBuf, img)

	for _, c := range []struct {
		name, ctype string
		data        []byte
	}{
		{"file", "application/octet-stream", file},
		{"image", "image/png", pngBuf.Bytes()},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			var peak int64
			for b.Loop() {
				runtime.GC()
				base := heapBytes()
				var top atomic.Int64
				stop := make(chan struct{})
				done := make(chan struct{})
				go func() {
					defer close(done)
					t := time.NewTicker(time.Millisecond)
					defer t.Stop()
					for {
						select {
						case <-stop:
							return
						case <-t.C:
							if h := heapBytes() - base; h > top.Load() {
								top.Store(h)
							}
						}
					}
				}()
				req, _ := http.NewRequest("POST", ts.URL+"/api/files?name=x", bytes.NewReader(c.data))
				req.Header.Set("Authorization", "Bearer "+sess.Token)
				req.Header.Set("Content-Type", c.ctype)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				close(stop)
				<-done
				if resp.StatusCode != 200 {
					b.Fatalf("upload: %d %s", resp.StatusCode, body)
				}
				peak = max(peak, top.Load())
			}
			b.ReportMetric(float64(peak), "peak-heap-B")
		})
	}
}

// heapBytes is the bytes of live and not yet swept heap objects.
func heapBytes() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}
