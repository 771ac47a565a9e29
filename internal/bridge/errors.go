package bridge

import "errors"

// ErrNoCallbacks: the contact's channel cannot call customers back (no
// Holder.Callback: no trunk for calls out).
var ErrNoCallbacks = errors.New("bridge: the channel takes no callbacks")
