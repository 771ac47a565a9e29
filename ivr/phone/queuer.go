package phone

import (
	"context"

	"github.com/hotline10000/hotline/ivr"
)

// Queuer wraps the voice channel's ivr.Queuer: each contact it queues is
// expected (Expect), so its offer can ring the agent's phone with the
// caller's number and queue. The voice channel calls Forget when the call
// ends.
func (p *Phones) Queuer(q ivr.Queuer) ivr.Queuer { return expecting{p: p, q: q} }

type expecting struct {
	p *Phones
	q ivr.Queuer
}

func (e expecting) Enqueue(ctx context.Context, req ivr.QueueRequest) (ivr.QueueHandle, error) {
	e.p.Expect(CallInfo{ContactID: req.ContactID, Caller: req.ANI, Queue: req.Queue})
	h, err := e.q.Enqueue(ctx, req)
	if err != nil {
		e.p.Forget(req.ContactID)
	}
	return h, err
}
