package chat

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hark/app/protocol"
)

// BenchmarkRoomFanOut is the cost of a room's message: 10,000 people
// connected, 1,000 of them in the room, one message to the room delivered
// (Hub.Deliver) and drained from the members' queues, per delivery; beside
// it, the same for a message to everyone with 1,000 connected. A room
// costs its members, not everyone connected, so the two ns/delivery
// should be alike (the room's within about 1.5 times).
func BenchmarkRoomFanOut(b *testing.B) {
	for _, tc := range []struct {
		name            string
		connected, inIt int
		room            bool
	}{
		{"room=1000/connected=10000", 10000, 1000, true},
		{"everyone/connected=1000", 1000, 1000, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c, streams := benchChat(b, tc.connected)
			members := streams
			const room = "benchroom"
			if tc.room {
				// Every tenth person, so the members are spread over
				// the hub's shards as anyone's would be.
				members = nil
				for i := 0; i < tc.connected && len(members) < tc.inIt; i += tc.connected / tc.inIt {
					st := streams[i]
					c.rooms.PutMember(context.Background(), room, Member{Reg: st.session.reg, Name: st.session.name.Display})
					c.hub.addMember(room, st.session.reg)
					members = append(members, st)
				}
			}
			head := c.Head()
			buf := make([]*Entry, 0, 1)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e := benchMessage(head + uint64(i+1))
				if tc.room {
					e = benchRoomMessage(head+uint64(i+1), room)
				}
				c.hub.Deliver([]*Entry{e})
				for _, st := range members {
					if got, _ := st.Take(buf[:0], 1); len(got) != 1 {
						b.Fatal("event not queued")
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(members)), "ns/delivery")
			if tc.room {
				b.StopTimer()
				for _, st := range streams {
					if got, _ := st.Take(buf[:0], 1); len(got) != 0 {
						b.Fatal("a room's message reached someone not in it")
					}
				}
			}
		})
	}
}

// benchRoomMessage is benchMessage in room.
func benchRoomMessage(seq uint64, room string) *Entry {
	e := newEntry(protocol.Event{
		Type: protocol.TypeRoomMessage, ID: "c-7f3a9e21", From: "Alice", Room: room,
		Text: "the quick brown fox jumps over the lazy dog, then naps in the sun",
		Time: protocol.NewTime(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)),
	}, 1, 0)
	e.room = room
	e.seal(seq)
	return e
}

// BenchmarkRoomFanOutIsTheRoomsCost is the cost of one room message's
// delivery as the room's connected neighbours grow: flat, as it is per
// member, not per stream connected.
func BenchmarkRoomFanOutIsTheRoomsCost(b *testing.B) {
	for _, connected := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("room=100/connected=%d", connected), func(b *testing.B) {
			c, streams := benchChat(b, connected)
			var members []*Stream
			for i := 0; len(members) < 100; i += connected / 100 {
				c.hub.addMember("r", streams[i].session.reg)
				members = append(members, streams[i])
			}
			head := c.Head()
			buf := make([]*Entry, 0, 1)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.hub.Deliver([]*Entry{benchRoomMessage(head+uint64(i+1), "r")})
				for _, st := range members {
					st.Take(buf[:0], 1)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(members)), "ns/delivery")
		})
	}
}
