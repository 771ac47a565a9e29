package ivr

import (
	"context"
	"fmt"
	"testing"

	"github.com/hotline10000/hotline/acd"
)

type closedQueue struct{}

func (closedQueue) Enqueue(ctx context.Context, req QueueRequest) (QueueHandle, error) {
	return nil, fmt.Errorf("enqueue %s: %w: %s", req.ContactID, acd.ErrQueueClosed, req.Queue)
}

// A queue closed by its opening calendar sends the contact to the
// transfer's message target (leave a message), else to its error target.
func TestTransferToClosedQueue(t *testing.T) {
	for _, tc := range []struct{ message, want string }{{"left", "left"}, {"", "failed"}} {
		msg, left := "", ""
		if tc.message != "" {
			msg = "    message: " + tc.message + "\n"
			left = "  left:\n    kind: hangup\n    prompt: goodbye\n"
		}
		lib := loadLib(t, map[string]string{"main.yaml": "flow: main\nstart: q\nnodes:\n  q:\n    kind: transfer\n    queue: q\n" + msg +
			"    error: failed\n" + left + "  failed:\n    kind: hangup\n    prompt: goodbye\n"})
		r := NewRunner(lib, Config{Clock: &manualClock{}, Queuer: closedQueue{}})
		res, err := r.Run(context.Background(), Contact{ID: "c"}, &scripted{kind: Voice})
		if err != nil {
			t.Fatal(err)
		}
		if res.LastNode != tc.want {
			t.Errorf("message target %q: ended at %q, want %q", tc.message, res.LastNode, tc.want)
		}
	}
}
