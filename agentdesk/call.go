package agentdesk

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/ivr/media"
)

// Call control from the desk (docs/desk-protocol.md, "Call control"): the
// agent's own voice contact is transferred through the ACD; the voice
// channel follows the ACD's events (the agent's leg ends, the caller hears
// hold music until the next agent's phone answers).

// ownCall answers unless contact is a voice contact the agent talks to.
func (d *deskClient) ownCall(contact string) *Error {
	if contact == "" {
		return failf(CodeInvalid, "contact_id: required")
	}
	var out *Error
	if err := d.g.do(func(h *hub) {
		a := h.agents[d.p.AgentID]
		switch {
		case h.chats[contact] != nil:
			out = failf(CodeInvalid, "contact_id: a chat; use chat.transfer")
		case a == nil || !a.chats[contact]:
			out = failf(CodeForbidden, "contact_id: not your call")
		}
	}); err != nil {
		return failf(CodeUnavailable, err.Error())
	}
	return out
}

// callTransfer is call.transfer: a blind transfer of the agent's voice
// contact to a queue or to one ready agent.
func (d *deskClient) callTransfer(ctx context.Context, f Frame) (any, *Error) {
	var in struct {
		Contact string `json:"contact_id"`
		Queue   string `json:"queue"`
		Agent   string `json:"agent_id"`
		Note    string `json:"note"`
	}
	if err := decodeData(f, &in); err != nil {
		return nil, err
	}
	if (in.Queue == "") == (in.Agent == "") {
		return nil, failf(CodeInvalid, "queue or agent_id: exactly one")
	}
	if len([]rune(in.Note)) > 500 {
		return nil, failf(CodeInvalid, "note: at most 500 characters")
	}
	if err := d.ownCall(in.Contact); err != nil {
		return nil, err
	}
	// The next agent's offer carries the note: it is in place before the
	// ACD offers the call (at once, to a ready agent).
	if err := d.g.do(func(h *hub) { h.callNotes[in.Contact] = in.Note }); err != nil {
		return nil, failf(CodeUnavailable, err.Error())
	}
	e := d.g.o.ACD
	var err error
	if in.Queue != "" {
		err = e.TransferToQueue(ctx, in.Contact, in.Queue)
	} else {
		err = e.TransferToAgent(ctx, in.Contact, in.Agent)
	}
	if err != nil {
		_ = d.g.do(func(h *hub) { delete(h.callNotes, in.Contact) })
		return nil, acdError(err)
	}
	d.g.log.Info("call transferred", "contact_id", in.Contact, "agent_id", d.p.AgentID, "queue", in.Queue, "to_agent", in.Agent)
	d.publish(TypeTransferNote, in.Contact, TransferNote{Queue: in.Queue, ToAgent: in.Agent, Note: in.Note})
	return nil, nil
}

// contactChannel is the channel of the agent's own contact for
// transfer.targets: a chat, or a call.
func (d *deskClient) contactChannel(contact string) (acd.Channel, *Error) {
	if err := d.onChat(contact, func(_ *hub, ch *chat) *Error { return ownChat(ch, d.p.AgentID) }); err == nil {
		return acd.Chat, nil
	} else if err.Code != CodeNotFound {
		return 0, err
	}
	if err := d.ownCall(contact); err != nil {
		return 0, err
	}
	return acd.Voice, nil
}

// callControl is call.hold, call.mute, call.dtmf and call.hangup on the
// agent's own bridged call.
func (d *deskClient) callControl(f Frame) (any, *Error) {
	calls := d.g.o.Calls
	if calls == nil {
		return nil, failf(CodeUnavailable, "this center has no voice calls")
	}
	var in struct {
		Contact string `json:"contact_id"`
		On      bool   `json:"on"`
		Digits  string `json:"digits"`
	}
	if err := decodeData(f, &in); err != nil {
		return nil, err
	}
	if f.Type == "call.dtmf" && !media.ValidDTMF(in.Digits) {
		return nil, failf(CodeInvalid, "digits: 1 to 32 of 0-9 * # A-D")
	}
	if err := d.ownCall(in.Contact); err != nil {
		return nil, err
	}
	var err error
	switch f.Type {
	case "call.hold":
		err = calls.Hold(in.Contact, in.On)
	case "call.mute":
		err = calls.Mute(in.Contact, in.On)
	case "call.dtmf":
		err = calls.SendDTMF(in.Contact, in.Digits)
	case "call.hangup":
		err = calls.HangupAgent(in.Contact)
	}
	if err != nil {
		return nil, failf(CodeConflict, fmt.Sprintf("contact_id: the call is not bridged to you now (%v)", err))
	}
	d.g.log.Info("desk "+f.Type, "contact_id", in.Contact, "agent_id", d.p.AgentID, "on", in.On)
	if f.Type == "call.hold" || f.Type == "call.mute" {
		return map[string]bool{"on": in.On}, nil
	}
	return nil, nil
}

// callConsult is call.consult, call.consult_complete, call.consult_cancel
// and call.conference: a warm transfer of the agent's own call. The ACD
// runs the consultation; the voice channel follows its events (the
// consulted agent's phone rings, the caller waits on hold music while the
// agents talk, completion moves the caller to the consulted agent).
func (d *deskClient) callConsult(ctx context.Context, f Frame) (any, *Error) {
	var in struct {
		Contact string `json:"contact_id"`
		Agent   string `json:"agent_id"`
	}
	if err := decodeData(f, &in); err != nil {
		return nil, err
	}
	if f.Type == "call.consult" && in.Agent == "" {
		return nil, failf(CodeInvalid, "agent_id: required")
	}
	if err := d.ownCall(in.Contact); err != nil {
		return nil, err
	}
	e := d.g.o.ACD
	var err error
	switch f.Type {
	case "call.consult":
		err = e.Consult(ctx, in.Contact, in.Agent)
	case "call.consult_complete":
		err = e.CompleteConsult(ctx, in.Contact)
	case "call.consult_cancel":
		err = e.CancelConsult(ctx, in.Contact)
	case "call.conference":
		calls := d.g.o.Calls
		if calls == nil {
			return nil, failf(CodeUnavailable, "this center has no voice calls")
		}
		if cerr := calls.Conference(in.Contact); cerr != nil {
			return nil, failf(CodeConflict, fmt.Sprintf("contact_id: no answered consultation on the call (%v)", cerr))
		}
	}
	if err != nil {
		return nil, acdError(err)
	}
	d.g.log.Info("desk "+f.Type, "contact_id", in.Contact, "agent_id", d.p.AgentID, "to_agent", in.Agent)
	return nil, nil
}

// monitorRing bounds how long a supervisor's phone rings for sup.monitor
// (the board answers it by itself).
const monitorRing = 30 * time.Second

// callMonitor is the call.monitor frame: how a supervisor's sup.monitor
// went.
type callMonitor struct {
	Contact string `json:"contact_id"`
	Mode    string `json:"mode"`
	State   string `json:"state"` // ringing, joined, failed
	Reason  string `json:"reason,omitempty"`
}

// monitor is sup.monitor and sup.monitor_mode: a supervisor listens to,
// whispers to the agent of, or barges into a live call, with their own
// phone (the board's or the desk's softphone). A supervisor may monitor
// the calls of their own teams' agents only (mayMonitor), an administrator
// any. Every action is written to the audit trail first; a call that has
// ended is a conflict naming the contact.
func (d *deskClient) monitor(ctx context.Context, f Frame) (any, *Error) {
	if !d.p.Can(auth.PermSupervise) {
		return nil, failf(CodeForbidden, "only supervisors may do this")
	}
	calls := d.g.o.Calls
	if calls == nil {
		return nil, failf(CodeUnavailable, "this center has no voice calls")
	}
	var in struct {
		Contact string `json:"contact_id"`
		Mode    string `json:"mode"`
	}
	if err := decodeData(f, &in); err != nil {
		return nil, err
	}
	if in.Contact == "" {
		return nil, failf(CodeInvalid, "contact_id: required")
	}
	if in.Mode != "listen" && in.Mode != "whisper" && in.Mode != "barge" {
		return nil, failf(CodeInvalid, "mode: listen, whisper or barge")
	}
	if err := calls.Bridged(in.Contact); err != nil {
		return nil, failf(CodeConflict, "contact_id: the call has ended or is not with an agent")
	}
	if e := d.mayMonitor(ctx, in.Contact); e != nil {
		return nil, e
	}
	if trail := d.g.o.Audit; trail != nil {
		rec := audit.Record{Action: audit.ActionCallMonitor, SubjectKind: audit.KindContact, SubjectID: in.Contact}
		rec.After, _ = json.Marshal(map[string]string{"via": "desk." + f.Type, "mode": in.Mode})
		if _, err := trail.Append(ctx, rec.By(d.p, d.addr)); err != nil {
			d.g.log.Error("call monitor not audited", "contact_id", in.Contact, "err", err)
			return nil, failf(CodeUnavailable, "audit trail unavailable")
		}
	}
	g, me := d.g, d.p.AgentID
	g.log.Info("desk "+f.Type, "contact_id", in.Contact, "agent_id", me, "mode", in.Mode)
	if f.Type == "sup.monitor_mode" {
		if err := calls.SetMonitorMode(in.Contact, me, in.Mode); err != nil {
			return nil, failf(CodeConflict, "contact_id: you are not on the call (or it ended)")
		}
		return callMonitor{Contact: in.Contact, Mode: in.Mode, State: "joined"}, nil
	}
	g.goTask(func() {
		rctx, cancel := context.WithTimeout(g.ctx, monitorRing)
		defer cancel()
		out := callMonitor{Contact: in.Contact, Mode: in.Mode, State: "joined"}
		if err := calls.Monitor(rctx, in.Contact, me, in.Mode); err != nil {
			out.State, out.Reason = "failed", err.Error()
			g.log.Info("supervisor not joined", "contact_id", in.Contact, "agent_id", me, "err", err)
		}
		_ = g.do(func(h *hub) { h.toPhone(me, "call.monitor", out) })
	})
	return callMonitor{Contact: in.Contact, Mode: in.Mode, State: "ringing"}, nil
}
