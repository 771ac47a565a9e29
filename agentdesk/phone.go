package agentdesk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/phone/webphone"
)

// The desk page is the agent's phone (docs/desk-protocol.md, "Softphone"):
// a voice contact offered to the agent rings on the desk socket
// (phone.ring); the page answers with a WebRTC offer (phone.answer) that
// Options.Softphone answers; once media flows the ring returns the agent's
// leg and the caller is bridged to it. The hub owns each agent's phone
// state (at most one call: ringing, answering or up); SDP work and waiting
// happen off the hub.

// Ring errors, each wrapping ivr/phone's.
var (
	ErrNoDesk      = fmt.Errorf("agentdesk: the agent has no desk connected, or the desk is no phone: %w", phone.ErrNoPhone)
	ErrPhoneBusy   = fmt.Errorf("agentdesk: the agent's desk phone has a call: %w", phone.ErrBusy)
	ErrDeclined    = fmt.Errorf("agentdesk: the agent declined the call: %w", phone.ErrDeclined)
	ErrNotAnswered = fmt.Errorf("agentdesk: the desk phone answered but media never flowed: %w", phone.ErrNoAnswer)
)

// Phone call states as the desk sees them.
const (
	phoneRinging   = "ringing"
	phoneAnswering = "answering" // the page's offer was answered; ICE and DTLS under way
	phoneTalking   = "connected"
)

// phoneCall is an agent's call on the desk phone. Hub goroutine only,
// except result, which the ring waits on.
type phoneCall struct {
	id     string
	agent  string
	info   phone.CallInfo
	state  string
	call   *webphone.Call // from answering on
	result chan phoneResult
}

type phoneResult struct {
	call *webphone.Call
	err  error
}

// phoneView is the desk's phone in the snapshot and in phone.ring.
type phoneView struct {
	CallID  string `json:"call_id"`
	Contact string `json:"contact_id"`
	Caller  string `json:"caller,omitempty"`
	Queue   string `json:"queue,omitempty"`
	Role    string `json:"role,omitempty"` // consult, listen, whisper, barge: a second leg on a live call
	State   string `json:"state"`
	Codec   string `json:"codec,omitempty"`
	Muted   bool   `json:"muted,omitempty"`
	Held    bool   `json:"held,omitempty"`
}

func (pc *phoneCall) view() *phoneView {
	v := &phoneView{CallID: pc.id, Contact: pc.info.ContactID, Caller: MaskPhone(pc.info.Caller), Queue: pc.info.Queue, Role: pc.info.Role, State: pc.state}
	if pc.call != nil {
		v.Codec, v.Muted, v.Held = pc.call.Codec().String(), pc.call.Muted(), pc.call.Held()
	}
	return v
}

var _ phone.Ringer = (*Gateway)(nil)

// Ring rings agentID's desk phone for a call and returns the agent's leg
// once the agent answered and media flows: the Gateway is the Ringer of
// phone.KindBrowser. ctx ending withdraws the ring (the offer ended).
// Errors: ErrNoDesk (no desk socket, or no softphone configured),
// ErrPhoneBusy, ErrDeclined, ErrNotAnswered, or ctx's. When the leg ends,
// for whatever reason (Hangup, the agent hung up, the browser went away),
// the desk gets phone.ended with the reason.
func (g *Gateway) Ring(ctx context.Context, agentID string, call phone.CallInfo) (phone.Leg, error) {
	if g.o.Softphone == nil {
		return nil, ErrNoDesk
	}
	pc := &phoneCall{id: newID(8), agent: agentID, info: call, state: phoneRinging, result: make(chan phoneResult, 1)}
	var refused error
	err := g.do(func(h *hub) {
		s := h.phoneDesk(agentID)
		switch {
		case s == nil || s.conn == nil:
			refused = ErrNoDesk
		case h.phones[agentID] != nil:
			refused = ErrPhoneBusy
		default:
			h.phones[agentID] = pc
			h.emit(s, "phone.ring", pc.view())
		}
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	g.log.Info("desk phone ringing", "contact_id", call.ContactID, "agent_id", agentID, "call_id", pc.id)
	select {
	case r := <-pc.result:
		if r.err != nil {
			return nil, r.err
		}
		return r.call, nil
	case <-ctx.Done():
	}
	// Withdrawn: the offer ended before media flowed (or just as it did).
	var up *webphone.Call
	_ = g.do(func(h *hub) {
		if h.phones[agentID] == pc {
			delete(h.phones, agentID)
			h.toPhone(agentID, "phone.ended", phoneEnded{CallID: pc.id, Contact: call.ContactID, Reason: "withdrawn"})
		}
		up = pc.call
	})
	select {
	case r := <-pc.result:
		up = r.call
	default:
	}
	if up != nil {
		_ = up.Hangup(context.WithoutCancel(ctx), "withdrawn")
	}
	return nil, ctx.Err()
}

type phoneEnded struct {
	CallID  string `json:"call_id"`
	Contact string `json:"contact_id"`
	Reason  string `json:"reason"`
}

// phoneCommand runs a phone.* command of the agent's desk.
func (d *deskClient) phoneCommand(ctx context.Context, f Frame) (any, *Error) {
	g := d.g
	if g.o.Softphone == nil {
		return nil, failf(CodeUnavailable, "this center has no desk phones")
	}
	var in struct {
		CallID     string  `json:"call_id"`
		SDP        string  `json:"sdp"`
		On         bool    `json:"on"`
		Digits     string  `json:"digits"`
		Candidate  string  `json:"candidate"`
		SDPMid     *string `json:"sdp_mid"`
		SDPMLine   *uint16 `json:"sdp_mline_index"`
		HangReason string  `json:"reason"`
	}
	if err := decodeData(f, &in); err != nil {
		return nil, err
	}
	if in.CallID == "" {
		return nil, failf(CodeInvalid, "call_id: required")
	}
	me := d.p.AgentID
	switch f.Type {
	case "phone.answer":
		return d.phoneAnswer(ctx, in.CallID, in.SDP)
	case "phone.decline":
		return nil, d.phoneDecline(in.CallID, true)
	case "phone.hangup":
		// Hanging up a ringing call declines it.
		if e := d.phoneDecline(in.CallID, false); e == nil || e.Code != CodeConflict {
			return nil, e
		}
		call, e := d.phoneCall(in.CallID, phoneAnswering, phoneTalking)
		if e != nil {
			return nil, e
		}
		if call == nil {
			return nil, failf(CodeConflict, "the call is being answered; hang up again")
		}
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := call.Hangup(hctx, "agent_hangup"); err != nil {
			return nil, failf(CodeUnavailable, "hang up: "+err.Error())
		}
		return nil, nil
	case "phone.mute", "phone.hold":
		call, e := d.phoneUp(in.CallID)
		if e != nil {
			return nil, e
		}
		if f.Type == "phone.mute" {
			call.SetMute(in.On)
		} else {
			call.SetHold(in.On)
			if hold := g.o.HoldCall; hold != nil {
				var contact string
				_ = g.do(func(h *hub) {
					if pc := h.phones[me]; pc != nil {
						contact = pc.info.ContactID
					}
				})
				if err := hold(contact, in.On); err != nil {
					call.SetHold(!in.On)
					return nil, failf(CodeUnavailable, "hold: "+err.Error())
				}
			}
		}
		g.log.Info("desk phone "+f.Type[len("phone."):], "agent_id", me, "call_id", in.CallID, "on", in.On)
		return map[string]bool{"on": in.On}, nil
	case "phone.dtmf":
		if !webphone.ValidDigits(in.Digits) {
			return nil, failf(CodeInvalid, "digits: 1 to 32 of 0-9 * # A-D")
		}
		call, e := d.phoneUp(in.CallID)
		if e != nil {
			return nil, e
		}
		// On the agent's own leg of a bridged call the voice channel sends
		// the keys the way the caller's phone takes them (RFC 4733 events
		// or tones); otherwise (a consultation, not bridged yet) the page's
		// leg plays the tones in the agent's audio.
		var info phone.CallInfo
		_ = g.do(func(h *hub) {
			if pc := h.phones[me]; pc != nil && pc.id == in.CallID {
				info = pc.info
			}
		})
		if calls := g.o.Calls; calls != nil && info.Role == "" && info.ContactID != "" {
			if err := calls.SendDTMF(info.ContactID, in.Digits); err == nil {
				return nil, nil
			}
		}
		if err := call.SendDTMF(in.Digits); err != nil {
			return nil, failf(CodeInvalid, "digits: "+err.Error())
		}
		return nil, nil
	case "phone.ice":
		if len(in.Candidate) > 1024 {
			return nil, failf(CodeInvalid, "candidate: at most 1024 characters")
		}
		call, e := d.phoneCall(in.CallID, phoneAnswering, phoneTalking)
		if e != nil {
			return nil, e
		}
		if in.Candidate == "" {
			return nil, nil // end of candidates
		}
		if call == nil {
			return nil, failf(CodeConflict, "the call is being answered; send the candidate again")
		}
		if err := call.AddICECandidate(in.Candidate, in.SDPMid, in.SDPMLine); err != nil {
			return nil, failf(CodeInvalid, "candidate: "+err.Error())
		}
		return nil, nil
	}
	return nil, failf(CodeUnknownType, "unknown command "+f.Type)
}

// phoneAnswer answers the ringing call with the page's WebRTC offer.
func (d *deskClient) phoneAnswer(ctx context.Context, callID, offer string) (any, *Error) {
	g, me := d.g, d.p.AgentID
	if offer == "" || len(offer) > MaxFrame {
		return nil, failf(CodeInvalid, "sdp: the page's WebRTC offer is required")
	}
	var pc *phoneCall
	var refused *Error
	if err := g.do(func(h *hub) {
		pc, refused = h.myPhone(me, callID, phoneRinging)
		if refused == nil {
			pc.state = phoneAnswering
		}
	}); err != nil {
		return nil, failf(CodeUnavailable, err.Error())
	}
	if refused != nil {
		return nil, refused
	}
	call, answer, err := g.o.Softphone.Answer(ctx, offer)
	if err != nil {
		// The phone rings on: the page may try again (another device).
		_ = g.do(func(h *hub) {
			if h.phones[me] == pc {
				pc.state = phoneRinging
			}
		})
		switch {
		case errors.Is(err, webphone.ErrNoCodec):
			return nil, failf(CodeInvalid, "sdp: no usable codec: the offer's audio has neither PCMU nor PCMA")
		case errors.Is(err, webphone.ErrBadOffer):
			return nil, failf(CodeInvalid, "sdp: "+err.Error())
		}
		return nil, failf(CodeUnavailable, err.Error())
	}
	gone := false
	_ = g.do(func(h *hub) {
		if h.phones[me] != pc {
			gone = true // withdrawn or declined meanwhile
			return
		}
		pc.call = call
		g.goTask(func() { g.watchPhone(pc, call) })
	})
	if gone {
		_ = call.Hangup(context.WithoutCancel(ctx), "withdrawn")
		return nil, failf(CodeConflict, "the call is no longer ringing")
	}
	g.log.Info("desk phone answered", "agent_id", me, "call_id", callID, "codec", call.Codec().String())
	return map[string]string{"call_id": callID, "sdp": answer, "codec": call.Codec().String()}, nil
}

// watchPhone follows an answered call: once media flows the ring gets the
// leg; when the call ends the desk is told and the phone is free again. A
// stopping gateway hangs up.
func (g *Gateway) watchPhone(pc *phoneCall, call *webphone.Call) {
	select {
	case <-call.Connected():
		_ = g.do(func(h *hub) {
			if h.phones[pc.agent] == pc {
				pc.state = phoneTalking
				h.toPhone(pc.agent, "phone.connected", pc.view())
			}
		})
		pc.result <- phoneResult{call: call}
	case <-call.Ended():
		pc.result <- phoneResult{err: fmt.Errorf("%w: %s", ErrNotAnswered, call.Reason())}
	case <-g.ctx.Done():
		pc.result <- phoneResult{err: ErrNotAnswered}
	}
	select {
	case <-call.Ended():
	case <-g.ctx.Done():
		_ = call.Hangup(context.Background(), "shutdown")
	}
	<-call.Done()
	g.log.Info("desk phone call ended", "agent_id", pc.agent, "call_id", pc.id, "reason", call.Reason())
	_ = g.do(func(h *hub) {
		if h.phones[pc.agent] == pc {
			delete(h.phones, pc.agent)
			h.toPhone(pc.agent, "phone.ended", phoneEnded{CallID: pc.id, Contact: pc.info.ContactID, Reason: call.Reason()})
		}
	})
}

// phoneDecline declines the agent's ringing call: conflict when it is not
// ringing (answered already).
func (d *deskClient) phoneDecline(callID string, explicit bool) *Error {
	me := d.p.AgentID
	var refused *Error
	if err := d.g.do(func(h *hub) {
		var pc *phoneCall
		pc, refused = h.myPhone(me, callID, phoneRinging)
		if refused != nil {
			return
		}
		delete(h.phones, me)
		pc.result <- phoneResult{err: ErrDeclined}
		h.toPhone(me, "phone.ended", phoneEnded{CallID: pc.id, Contact: pc.info.ContactID, Reason: "declined"})
	}); err != nil {
		return failf(CodeUnavailable, err.Error())
	}
	if refused == nil {
		d.g.log.Info("desk phone declined", "agent_id", me, "call_id", callID, "explicit", explicit)
	}
	return refused
}

// phoneUp returns the agent's call callID once media flows.
func (d *deskClient) phoneUp(callID string) (*webphone.Call, *Error) {
	return d.phoneCall(callID, phoneTalking)
}

// phoneCall returns the media of the agent's call callID in one of states.
func (d *deskClient) phoneCall(callID string, states ...string) (*webphone.Call, *Error) {
	var call *webphone.Call
	var refused *Error
	if err := d.g.do(func(h *hub) {
		var pc *phoneCall
		if pc, refused = h.myPhone(d.p.AgentID, callID, states...); refused == nil {
			call = pc.call
		}
	}); err != nil {
		return nil, failf(CodeUnavailable, err.Error())
	}
	return call, refused
}

// myPhone returns the agent's call callID if it is in one of states.
func (h *hub) myPhone(agentID, callID string, states ...string) (*phoneCall, *Error) {
	pc := h.phones[agentID]
	if pc == nil || pc.id != callID {
		return nil, failf(CodeNotFound, "call_id: no such call on your phone")
	}
	for _, s := range states {
		if pc.state == s {
			return pc, nil
		}
	}
	return nil, failf(CodeConflict, "the call is "+pc.state)
}

// phoneDesk is the session an agent's phone rings on: the desk page, or
// the board page of a supervisor who has no desk open (a supervisor
// listening to a call from the board).
func (h *hub) phoneDesk(agentID string) *session {
	if s := h.agentDesk(agentID); s != nil && s.conn != nil {
		return s
	}
	if s := h.byKey[agentID+"/"+viewBoard]; s != nil && s.conn != nil {
		return s
	}
	return h.agentDesk(agentID)
}

// toPhone sends a phone.* frame to the agent's phone session.
func (h *hub) toPhone(agentID, typ string, data any) {
	if s := h.phoneDesk(agentID); s != nil {
		h.emit(s, typ, data)
	}
}
