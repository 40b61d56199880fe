package protocol

import "time"

// TypeRead is an unsequenced event telling every device of a person how
// far the person has read a conversation: With (a direct conversation,
// by the other person's name), Everyone or Room (a room's, by its id),
// and Seq, the position read up to. Never stored, never replayed; GET /api/read gives the positions
// kept. An addition to the contract.
const TypeRead = "read"

// ReadMark is a read position: the body of POST /api/read ("I have read
// this conversation up to Seq") and each position GET /api/read answers.
// It names one conversation as GET /api/history does: With, the other
// person of a direct conversation (oneself for one's notes), Everyone, or
// Room, the id of a room one is in.
type ReadMark struct {
	With     string `json:"with,omitempty"`
	Everyone bool   `json:"everyone,omitempty"`
	Room     string `json:"room,omitempty"`
	Seq      uint64 `json:"seq"`
}

// Validate reports a mark that names no conversation, more than one, or
// no position, as bad_request.
func (m ReadMark) Validate() error {
	named := 0
	for _, n := range []bool{m.With != "", m.Everyone, m.Room != ""} {
		if n {
			named++
		}
	}
	switch {
	case named > 1:
		return Errorf(CodeBadRequest, "with, everyone and room name two conversations or more; name one")
	case named == 0:
		return Errorf(CodeBadRequest, "name the conversation read: with a name, everyone, or a room")
	case m.Seq == 0:
		return Errorf(CodeBadRequest, "seq must be the seq of a message, from 1")
	}
	if m.With != "" {
		if _, err := ParseName(m.With); err != nil {
			return Errorf(CodeBadRequest, "with must be a name: %s", err.Error())
		}
	}
	return nil
}

// ReadMarks is the body of GET /api/read: the asker's person's read
// positions, one per conversation it has marked, in no particular order.
type ReadMarks struct {
	Read []ReadMark `json:"read"`
}

// ReadEvery is the most often a client marks one conversation read: it
// sends the newest position at most this often, however often it is
// asked, so a person scrolling through a busy conversation costs a
// request or two a second.
const ReadEvery = 500 * time.Millisecond
