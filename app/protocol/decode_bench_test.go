package protocol

import (
	"encoding/json"
	"testing"
)

// A broadcast as every stream carries it: the event a client decodes
// most often, once per delivery.
var benchMessage = []byte(`{"seq":123456,"type":"message","id":"m-1732412345-42","from":"lg1a2b-00042","text":"hb 123456 1795487671123456789","time":"2026-11-24T02:34:31.123Z"}`)

// BenchmarkDecodeEvent is a client's cost per delivery: one event off
// the wire into an Event, by DecodeEvent and by json.Unmarshal.
func BenchmarkDecodeEvent(b *testing.B) {
	b.Run("DecodeEvent", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchMessage)))
		for b.Loop() {
			if _, err := DecodeEvent(benchMessage); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchMessage)))
		for b.Loop() {
			var ev Event
			if err := json.Unmarshal(benchMessage, &ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}
