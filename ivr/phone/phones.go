package phone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
)

// Phone kinds: the agent's setting says which one rings.
const (
	KindSIP     = "sip"     // a SIP phone registered with the registrar (ivr/sip)
	KindBrowser = "browser" // the desk page's WebRTC softphone (agentdesk)
)

// Settings tells which kind of phone an agent uses.
type Settings interface {
	// PhoneKind returns the agent's phone kind; "" means the default.
	PhoneKind(ctx context.Context, agentID string) (string, error)
}

// Options are the dependencies of Phones.
type Options struct {
	// Settings gives each agent's phone kind; nil: every agent uses
	// DefaultKind.
	Settings Settings
	// DefaultKind rings agents who chose no kind; default KindBrowser
	// (every agent has the desk page open).
	DefaultKind string
	Logger      *slog.Logger
}

// Phones rings the agent's phone for a voice contact and keeps the
// answered leg until the voice channel takes it. It is safe for concurrent
// use.
type Phones struct {
	o   Options
	log *slog.Logger

	mu      sync.Mutex
	ringers map[string]Ringer   // by kind
	calls   map[string]CallInfo // expected calls, by contact
	legs    map[string]Leg      // answered, not yet taken, by contact
}

// New returns Phones with no Ringer registered.
func New(o Options) *Phones {
	if o.DefaultKind == "" {
		o.DefaultKind = KindBrowser
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Phones{o: o, log: o.Logger, ringers: map[string]Ringer{}, calls: map[string]CallInfo{}, legs: map[string]Leg{}}
}

// Register makes r ring the agents whose phone is of kind. A later
// Register of the same kind replaces the Ringer.
func (p *Phones) Register(kind string, r Ringer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ringers[kind] = r
}

// Kinds returns the registered phone kinds.
func (p *Phones) Kinds() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.ringers))
	for k := range p.ringers {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Expect tells Phones a voice call waits for an agent: Ring for its
// contact shows call on the agent's phone. The voice channel calls Forget
// when the call ends.
func (p *Phones) Expect(call CallInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[call.ContactID] = call
}

// Forget ends what Phones holds for a contact: an answered leg nobody
// took is hung up.
func (p *Phones) Forget(contactID string) {
	p.mu.Lock()
	leg := p.legs[contactID]
	delete(p.legs, contactID)
	delete(p.calls, contactID)
	p.mu.Unlock()
	if leg != nil {
		_ = leg.Hangup(context.Background(), "caller gone")
	}
}

// Ring rings the agent's phone for the contact and returns nil once it
// was answered; the answered Leg waits for Take. It is the ring step of
// the voice channel (bridge.Holder.Ring): ctx ending withdraws the ring,
// an error rejects the offer.
func (p *Phones) Ring(ctx context.Context, contactID, agentID string) error {
	leg, kind, err := p.ring(ctx, contactID, agentID, "")
	if err != nil {
		return err
	}
	p.mu.Lock()
	_, still := p.calls[contactID]
	old := p.legs[contactID]
	if still && ctx.Err() == nil {
		p.legs[contactID] = leg
	}
	p.mu.Unlock()
	if old != nil {
		_ = old.Hangup(context.WithoutCancel(ctx), "replaced")
	}
	if !still || ctx.Err() != nil {
		// The caller left or the offer ended while the agent answered.
		_ = leg.Hangup(context.WithoutCancel(ctx), "offer ended")
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("ring %s: %w", contactID, ErrUnknownCall)
	}
	p.log.Info("agent leg answered", "contact_id", contactID, "agent_id", agentID, "kind", kind, "codec", leg.Codec().String())
	return nil
}

// RingLeg rings the agent's phone for an expected call, saying the role
// the leg will have (CallInfo.Role), and returns the answered leg itself, not kept for Take: a second agent joining a call
// already bridged (a consultation, a supervisor listening). ctx ending
// withdraws the ring; the caller of RingLeg owns the leg.
func (p *Phones) RingLeg(ctx context.Context, contactID, agentID, role string) (Leg, error) {
	leg, _, err := p.ring(ctx, contactID, agentID, role)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		_ = leg.Hangup(context.WithoutCancel(ctx), "withdrawn")
		return nil, ctx.Err()
	}
	return leg, nil
}

// ring rings the agent's phone of their kind for an expected call.
func (p *Phones) ring(ctx context.Context, contactID, agentID, role string) (Leg, string, error) {
	kind := p.o.DefaultKind
	if p.o.Settings != nil {
		k, err := p.o.Settings.PhoneKind(ctx, agentID)
		if err != nil {
			return nil, "", fmt.Errorf("phone kind of agent %s: %w", agentID, err)
		}
		if k != "" {
			kind = k
		}
	}
	p.mu.Lock()
	r := p.ringers[kind]
	call, ok := p.calls[contactID]
	p.mu.Unlock()
	if !ok {
		return nil, "", fmt.Errorf("ring %s: %w", contactID, ErrUnknownCall)
	}
	if r == nil {
		return nil, "", fmt.Errorf("ring agent %s: no %q phones: %w", agentID, kind, ErrNoPhone)
	}
	call.Role = role
	leg, err := r.Ring(ctx, agentID, call)
	if err != nil {
		return nil, "", fmt.Errorf("ring agent %s (%s): %w", agentID, kind, err)
	}
	if leg == nil {
		return nil, "", fmt.Errorf("ring agent %s (%s): ringer returned no leg: %w", agentID, kind, ErrNoPhone)
	}
	return leg, kind, nil
}

// Take hands the answered leg of a contact to the voice channel, once.
func (p *Phones) Take(contactID string) (Leg, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	leg, ok := p.legs[contactID]
	delete(p.legs, contactID)
	return leg, ok
}

// IsRingError says err is one of the reasons a ring ends unanswered.
func IsRingError(err error) bool {
	return errors.Is(err, ErrNoPhone) || errors.Is(err, ErrBusy) || errors.Is(err, ErrDeclined) || errors.Is(err, ErrNoAnswer)
}

// RingAgent rings the agent's phone for a call that waits on no caller's
// line (an ACD callback: the agent first, then the customer) and returns
// the answered leg to the caller of RingAgent; call.Role is the role the
// phone shows ("visit": an agent calling a customer).
func (p *Phones) RingAgent(ctx context.Context, agentID string, call CallInfo) (Leg, error) {
	p.mu.Lock()
	_, had := p.calls[call.ContactID]
	if !had {
		p.calls[call.ContactID] = call
	}
	p.mu.Unlock()
	if !had {
		defer func() {
			p.mu.Lock()
			delete(p.calls, call.ContactID)
			p.mu.Unlock()
		}()
	}
	return p.RingLeg(ctx, call.ContactID, agentID, call.Role)
}
