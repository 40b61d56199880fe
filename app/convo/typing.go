package convo

import (
	"hark/app/client"
)

// TypingIn is who is typing in the conversation with (a Conversation's
// With), as st has it: in a room's (RoomKey) those typing in the room,
// else those State.TypingIn lists for with.
func TypingIn(st client.State, with string) []string {
	if IsRoomKey(with) {
		return st.TypingInRoom(client.RoomOf(with))
	}
	return st.TypingIn(with)
}
