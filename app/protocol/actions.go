package protocol

import "unicode/utf8"

// Action types: sequenced events that act on a message, their Target, and
// each also the Type of the request that asks for one (POST
// /api/actions). An action is stored in the log like the message it acts
// on, visible to whoever may see that message, in its conversation's
// history, and replayed; a client that does not know a type ignores it.
// Additions to the contract.
const (
	// TypeReact adds (On) or takes back (not On) From's reaction Emoji to
	// Target. Sent again, it changes nothing: a person's reaction is there
	// once or not at all.
	TypeReact = "react"
	// TypeEdit replaces Target's text with Text. Only its author may, for
	// the edit window after it was sent.
	TypeEdit = "edit"
	// TypeDelete deletes Target: everyone is shown that a message was
	// deleted, never its text again. Only its author may.
	TypeDelete = "delete"
)

// Reactions are the emoji a client offers at once; any single emoji is
// accepted.
var Reactions = []string{"👍", "❤️", "😂", "🎉", "😮", "😢"}

// MaxEmojiBytes bounds a reaction: one emoji, even of many code points
// (a family, a flag, a skin tone).
const MaxEmojiBytes = 32

// Action asks the server to act on the message whose seq is Target: the
// body of POST /api/actions. ID makes retries act once, as a send's does.
type Action struct {
	Type   string `json:"type"`
	ID     string `json:"id"`
	Target uint64 `json:"target"`
	// Emoji and On are a reaction's: which, and whether to add it or
	// take it back.
	Emoji string `json:"emoji,omitempty"`
	On    bool   `json:"on,omitempty"`
	// Text is an edit's new text.
	Text string `json:"text,omitempty"`
}

// DecodeAction parses an action body and checks it against the limits of
// the contract; the error is always an *Error.
func DecodeAction(data []byte) (Action, error) {
	var a Action
	if err := decode(data, &a, "an action"); err != nil {
		return Action{}, err
	}
	return a, a.Validate()
}

// Validate checks an action against the limits of the contract. Whether
// its target exists, may be seen and may be acted on is the server's to
// say.
func (a *Action) Validate() error {
	if err := validID(a.ID, "an action"); err != nil {
		return err
	}
	if a.Target == 0 {
		return Errorf(CodeBadRequest, "an action needs the seq of the message it acts on (target)")
	}
	switch a.Type {
	case TypeReact:
		if !ValidEmoji(a.Emoji) {
			return Errorf(CodeBadRequest, "a reaction is one emoji")
		}
	case TypeEdit:
		return validText(a.Text)
	case TypeDelete:
	default:
		return Errorf(CodeBadRequest, "an action is %q, %q or %q, not %q", TypeReact, TypeEdit, TypeDelete, a.Type)
	}
	return nil
}

// ValidEmoji reports whether s is one emoji: an emoji code point, with
// what may join or modify it (zero-width joiners, variation selectors,
// skin tones, tags, a keycap), at most MaxEmojiBytes.
func ValidEmoji(s string) bool {
	if s == "" || len(s) > MaxEmojiBytes || !utf8.ValidString(s) {
		return false
	}
	first, joined, flag := true, false, false
	for _, r := range s {
		switch {
		case first || joined:
			// The emoji, or the one a zero-width joiner adds to it
			// (👩‍💻): a base, never a second one side by side (👍👍 is
			// two reactions, not one).
			if !emojiBase(r) {
				return false
			}
		case flag && regional(r):
			// A flag is two regional letters (🇫🇷), never more.
		case !emojiJoin(r):
			return false
		}
		flag = (first || joined) && regional(r)
		first, joined = false, r == 0x200D
	}
	return !joined
}

// regional reports whether r is a regional indicator letter, two of which
// make a flag.
func regional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// emojiBase reports whether r is a code point emoji are drawn from.
func emojiBase(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF: // pictographs, emoticons, transport, flags' letters
		return !(r >= 0x1F3FB && r <= 0x1F3FF) // skin tones modify, they do not stand alone
	case r >= 0x2600 && r <= 0x27BF, r >= 0x2300 && r <= 0x23FF, r >= 0x2B00 && r <= 0x2BFF, r >= 0x2190 && r <= 0x21FF:
		return true
	}
	switch r {
	case 0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299:
		return true
	}
	return false
}

// emojiJoin reports whether r joins or modifies the emoji before it.
func emojiJoin(r rune) bool {
	return r == 0x200D || r == 0xFE0F || r == 0x20E3 || (r >= 0x1F3FB && r <= 0x1F3FF) || (r >= 0xE0020 && r <= 0xE007F)
}
