package main

import (
	"context"
	"fmt"

	"github.com/hotline10000/hotline/ivr/sip"
)

// NewMessage stores a caller's voice message (the flows' record node) as a
// recording of the contact with no agent: a WAV beside the call
// recordings, the caller on the left channel. Its id goes on the ticket
// the flow files; the ticket's agents play it (recordingRoutes).
func (c callRecorder) NewMessage(ctx context.Context, contactID string) (sip.Recording, string, error) {
	rec, err := c.Record(ctx, contactID, "")
	if err != nil {
		return nil, "", fmt.Errorf("voice message: %w", err)
	}
	return rec, rec.(*fileRecording).id, nil
}
