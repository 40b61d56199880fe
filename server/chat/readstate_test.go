package chat

import (
	"context"
	"slices"
	"testing"
	"time"

	"hark/app/protocol"
)

// reads returns the read events st hands out until it has been quiet for
// a moment.
func reads(t *testing.T, st *Stream) []protocol.Event {
	t.Helper()
	return quietEvents(t, st, protocol.TypeRead)
}

// quietEvents returns the events of type typ st hands out until it has
// been quiet for a moment.
func quietEvents(t *testing.T, st *Stream, typ string) []protocol.Event {
	t.Helper()
	var got []protocol.Event
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		e, err := st.Next(ctx)
		cancel()
		if err != nil {
			return got
		}
		if e.Type() == typ {
			got = append(got, e.Event())
		}
	}
}

// Alice reads Bob's direct messages on her laptop: both her devices'
// streams get the read event, at the newest message at or before the
// seq she gave; Bob's and Carol's get nothing. A lower mark is accepted
// and tells no one; the positions are there for a device that connects
// later.
func TestMarkReadTellsEveryDeviceOfThePerson(t *testing.T) {
	c := newTestChat(t, Config{})
	ctx := context.Background()
	laptop := register(t, c, "Alice")
	phone := link(t, c, deviceCode(t, c, laptop), "")
	bob, carol := register(t, c, "Bob"), register(t, c, "Carol")
	first := send(t, c, bob, "b1", "alice", "one")
	send(t, c, carol, "c1", "", "to all")
	second := send(t, c, bob, "b2", "Alice", "two")
	streams := map[string]*Stream{}
	for name, s := range map[string]*Session{"laptop": laptop, "phone": phone, "bob": bob, "carol": carol} {
		streams[name] = open(t, c, s, Position{})
	}

	// A seq past the conversation's newest message marks that message.
	if err := c.MarkRead(ctx, laptop, protocol.ReadMark{With: "bob", Seq: second + 5}); err != nil {
		t.Fatal(err)
	}
	want := protocol.Event{Type: protocol.TypeRead, With: "Bob", Seq: second}
	for _, name := range []string{"laptop", "phone"} {
		if got := reads(t, streams[name]); len(got) != 1 || got[0].With != want.With || got[0].Seq != want.Seq || got[0].Everyone {
			t.Fatalf("Alice's %s got %+v, want %+v", name, got, want)
		}
	}
	for _, name := range []string{"bob", "carol"} {
		if got := reads(t, streams[name]); len(got) != 0 {
			t.Fatalf("%s got Alice's read position: %+v", name, got)
		}
	}

	if err := c.MarkRead(ctx, phone, protocol.ReadMark{With: "Bob", Seq: first}); err != nil {
		t.Fatalf("a lower mark: %v, want accepted", err)
	}
	if got := reads(t, streams["laptop"]); len(got) != 0 {
		t.Fatalf("a lower mark was told: %+v", got)
	}
	if err := c.MarkRead(ctx, phone, protocol.ReadMark{Everyone: true, Seq: second}); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadPositions(ctx, phone)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b protocol.ReadMark) int { return int(a.Seq) - int(b.Seq) })
	// Everyone's newest message at or before second is Carol's.
	if wantPos := []protocol.ReadMark{{Everyone: true, Seq: first + 1}, {With: "Bob", Seq: second}}; !slices.Equal(got, wantPos) {
		t.Fatalf("positions %+v, want %+v", got, wantPos)
	}
	if got, _ := c.ReadPositions(ctx, bob); len(got) != 0 {
		t.Fatalf("Bob's positions: %+v, want none (Alice's are hers)", got)
	}
}

// Marks that name no conversation, two, no seq, a conversation with no
// message at or before the seq, or come from a released session are
// refused, and tell no one; more marks than the session's budget are
// rate_limited, however the reads are budgeted.
func TestMarkReadRefusals(t *testing.T) {
	c := newTestChat(t, Config{ReadRate: -1})
	ctx := context.Background()
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	dm := send(t, c, bob, "b1", "alice", "hi")
	st := open(t, c, alice, Position{})
	for _, m := range []protocol.ReadMark{{Seq: dm}, {With: "Bob", Everyone: true, Seq: dm}, {With: "Bob"}, {With: "not\x00a name", Seq: dm}} {
		wantCode(t, "a read mark", c.MarkRead(ctx, alice, m), protocol.CodeBadRequest)
	}
	// Carol never wrote to Alice; everyone's conversation is empty
	// before the direct message.
	for _, m := range []protocol.ReadMark{{With: "Carol", Seq: dm}, {Everyone: true, Seq: dm}} {
		wantCode(t, "a read mark", c.MarkRead(ctx, alice, m), protocol.CodeNotFound)
	}
	if got := reads(t, st); len(got) != 0 {
		t.Fatalf("refused marks were told: %+v", got)
	}
	var err error
	for range 20 {
		if err = c.MarkRead(ctx, alice, protocol.ReadMark{With: "Bob", Seq: dm}); err != nil {
			break
		}
	}
	wantCode(t, "a read mark", err, protocol.CodeRateLimited)
	if err := c.Leave(ctx, bob); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "a read mark", c.MarkRead(ctx, bob, protocol.ReadMark{With: "Alice", Seq: dm}), protocol.CodeUnauthorized)
}

// A person's positions go with the name: a later holder of it starts
// with none.
func TestReadPositionsGoWithTheName(t *testing.T) {
	c := newTestChat(t, Config{})
	ctx := context.Background()
	alice, bob := register(t, c, "Alice"), register(t, c, "Bob")
	dm := send(t, c, bob, "b1", "alice", "hi")
	if err := c.MarkRead(ctx, alice, protocol.ReadMark{With: "Bob", Seq: dm}); err != nil {
		t.Fatal(err)
	}
	if err := c.Leave(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.reads.Positions(ctx, alice.reg); len(got) != 0 {
		t.Fatalf("the positions of a freed name: %+v, want none", got)
	}
	again := register(t, c, "Alice")
	if got, _ := c.ReadPositions(ctx, again); len(got) != 0 {
		t.Fatalf("the next holder's positions: %+v, want none", got)
	}
}

// Alice reads a room on her laptop: both her devices get the read event,
// naming the room, at the room's newest entry at or before the seq she
// gave; Bob, in the room too, gets nothing, and GET /api/read's positions
// have the room's. Carol, in neither room, is refused as a send to each
// would be (forbidden in a public room, not_found in a private one), and
// nothing is kept or told for her. Bob, added to a private room after its
// first message, cannot mark a position before his join.
func TestMarkReadInARoom(t *testing.T) {
	c := newTestChat(t, Config{})
	ctx := context.Background()
	laptop := register(t, c, "Alice")
	phone := link(t, c, deviceCode(t, c, laptop), "")
	bob, carol := register(t, c, "Bob"), register(t, c, "Carol")
	r := createRoom(t, c, laptop, protocol.RoomRequest{Name: "Gophers"})
	sendRoom(t, c, laptop, "a1", r.ID, "one")
	if _, err := c.JoinRoom(ctx, bob, r.ID); err != nil {
		t.Fatal(err)
	}
	last := sendRoom(t, c, bob, "b1", r.ID, "two")
	after := send(t, c, carol, "c1", "", "to everyone")
	p := createRoom(t, c, laptop, protocol.RoomRequest{Name: "Quiet", Private: true})
	early := sendRoom(t, c, laptop, "a2", p.ID, "before Bob")
	if _, err := c.AddMember(ctx, laptop, p.ID, "Bob", false); err != nil {
		t.Fatal(err)
	}
	settle(t, c)
	streams := map[string]*Stream{}
	for name, s := range map[string]*Session{"laptop": laptop, "phone": phone, "bob": bob, "carol": carol} {
		streams[name] = open(t, c, s, Position{})
	}

	if err := c.MarkRead(ctx, laptop, protocol.ReadMark{Room: r.ID, Seq: after}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"laptop", "phone"} {
		if got := reads(t, streams[name]); len(got) != 1 || got[0].Room != r.ID || got[0].Seq != last || got[0].With != "" || got[0].Everyone {
			t.Fatalf("Alice's %s got %+v, want one read of room %s at %d", name, got, r.ID, last)
		}
	}
	if got := reads(t, streams["bob"]); len(got) != 0 {
		t.Fatalf("Bob got Alice's read position: %+v", got)
	}
	if err := c.MarkRead(ctx, laptop, protocol.ReadMark{Everyone: true, Seq: after}); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadPositions(ctx, phone)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b protocol.ReadMark) int { return int(a.Seq) - int(b.Seq) })
	if want := []protocol.ReadMark{{Room: r.ID, Seq: last}, {Everyone: true, Seq: after}}; !slices.Equal(got, want) {
		t.Fatalf("positions %+v, want %+v", got, want)
	}

	wantCode(t, "Carol's mark of a public room she is not in", c.MarkRead(ctx, carol, protocol.ReadMark{Room: r.ID, Seq: last}), protocol.CodeForbidden)
	wantCode(t, "Carol's mark of a private room", c.MarkRead(ctx, carol, protocol.ReadMark{Room: p.ID, Seq: early}), protocol.CodeNotFound)
	wantCode(t, "a mark of no room", c.MarkRead(ctx, carol, protocol.ReadMark{Room: "nosuchrm", Seq: last}), protocol.CodeNotFound)
	if got, err := c.ReadPositions(ctx, carol); err != nil || len(got) != 0 {
		t.Fatalf("Carol's positions after refusals: %+v, %v; want none", got, err)
	}
	if got := reads(t, streams["carol"]); len(got) != 0 {
		t.Fatalf("refused marks were told: %+v", got)
	}
	wantCode(t, "Bob's mark before his join", c.MarkRead(ctx, bob, protocol.ReadMark{Room: p.ID, Seq: early}), protocol.CodeNotFound)
	wantCode(t, "a mark naming a room and everyone", c.MarkRead(ctx, bob, protocol.ReadMark{Room: r.ID, Everyone: true, Seq: last}), protocol.CodeBadRequest)
	if got, _ := c.ReadPositions(ctx, bob); len(got) != 0 {
		t.Fatalf("Bob's positions: %+v, want none", got)
	}
}
