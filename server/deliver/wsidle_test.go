package deliver

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// The tracker says "between messages" after exactly the bytes that end a
// message, or a control frame outside one, however the bytes are split
// across reads: fragmented messages, control frames between fragments,
// every payload length encoding.
func TestFrameTrackerFindsTheEndsOfMessages(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var stream []byte
	ends := map[int]bool{0: true}
	frame := func(fin bool, opcode byte, n int) {
		b0 := opcode
		if fin {
			b0 |= 0x80
		}
		stream = append(stream, b0)
		switch {
		case n < 126:
			stream = append(stream, 0x80|byte(n))
		case n < 1<<16:
			stream = append(stream, 0x80|126)
			stream = binary.BigEndian.AppendUint16(stream, uint16(n))
		default:
			stream = append(stream, 0x80|127)
			stream = binary.BigEndian.AppendUint64(stream, uint64(n))
		}
		stream = append(stream, 1, 2, 3, 4) // the mask key
		for range n {
			stream = append(stream, byte(rng.Uint32()))
		}
	}
	lengths := []int{0, 1, 125, 126, 127, 300, 65535, 65536, 70000}
	control := func() { frame(true, 0x8+byte(1+rng.IntN(2)), rng.IntN(126)) } // ping or pong
	for range 60 {
		if rng.IntN(3) == 0 {
			control()
			ends[len(stream)] = true
		}
		parts := 1 + rng.IntN(3)
		for i := range parts {
			opcode := byte(0) // continuation
			if i == 0 {
				opcode = 1 + byte(rng.IntN(2)) // text or binary
			}
			frame(i == parts-1, opcode, lengths[rng.IntN(len(lengths))])
			if i < parts-1 && rng.IntN(2) == 0 {
				control() // inside the message: not an end
			}
		}
		ends[len(stream)] = true
	}

	// Byte by byte: every offset is checked.
	var tr frameTracker
	if !tr.between() {
		t.Fatal("a new tracker is not between messages")
	}
	for i := range stream {
		tr.feed(stream[i : i+1])
		if got := tr.between(); got != ends[i+1] {
			t.Fatalf("after %d bytes: between = %v, want %v", i+1, got, ends[i+1])
		}
	}
	// In reads of any size, as a socket hands them out.
	for round := range 20 {
		var tr frameTracker
		for off := 0; off < len(stream); {
			n := min(len(stream)-off, 1+rng.IntN(700))
			tr.feed(stream[off : off+n])
			off += n
			if got := tr.between(); got != ends[off] {
				t.Fatalf("round %d, after %d bytes: between = %v, want %v", round, off, got, ends[off])
			}
		}
	}
}
