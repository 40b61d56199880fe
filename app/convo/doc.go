// Package convo keeps one person's conversations for the UI: Everyone,
// then one per person they exchanged direct messages with, each holding
// its messages in seq order (one's own unsent ones last), its unread count
// and how far back it is loaded.
//
// It is fed from hark/app/client (the state's short window of recent
// items, the stream's live events, scrollback pages) and holds no network
// or DOM code, so it is tested on the host. A conversation keeps its
// messages in chunks that are never changed in place: a chunk that
// changes is replaced by a new one, so the UI can hand each chunk to a
// component of its own and let go-app skip every chunk that is the same
// slice as before. Appending a message touches one chunk, however long
// the conversation.
package convo
