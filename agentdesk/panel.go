package agentdesk

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/mask"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
)

// customerPanel is the desk's customer panel: who the customer is, what
// the flow collected, past contacts and tickets.
type customerPanel struct {
	Contact  string       `json:"contact_id"`
	Customer CustomerInfo `json:"customer"`
	Account  string       `json:"account,omitempty"`
	Tier     string       `json:"tier,omitempty"`
	Known    bool         `json:"known"`
	// Verified: none while the customer's number is only a claim (the
	// panel then shows the claimed number masked and its tier, nothing of
	// the account), otp or pin once proved.
	Verified string            `json:"verified"`
	Vars     map[string]string `json:"vars,omitempty"`
	Contacts []pastContact     `json:"contacts"`
	Tickets  []pastTicket      `json:"tickets"`
}

type pastContact struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"`
	StartedAt time.Time `json:"started_at"`
	Queue     string    `json:"queue,omitempty"`
	Agent     string    `json:"agent_id,omitempty"`
	Outcome   string    `json:"outcome,omitempty"`
	// Transcript: the chat's stored messages (chats only).
	Transcript []transcriptLine `json:"transcript,omitempty"`
}

type transcriptLine struct {
	From string    `json:"from"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

type pastTicket struct {
	ID      int64  `json:"id"`
	Number  string `json:"number"`
	Subject string `json:"subject"`
	Status  string `json:"status"`
	Type    string `json:"type"`
}

// customerPanel answers for the agent that holds the chat or its offer, or
// a supervisor; anyone else learns nothing, not even whether it exists.
//
// What it shows follows the chat's verification: a claimed number gets
// its tier and nothing else (no account, past contacts or tickets, which
// would tell the agent another customer's business); a proved customer
// gets the full panel. Phone and ID numbers are masked for agents unless
// the customer proved them; supervisors see them whole.
//
// Every panel shown is recorded in the audit trail (who saw which
// customer's record, from where) before it is sent; without the record the
// panel is not shown.
func (d *deskClient) customerPanel(ctx context.Context, contact string) (any, *Error) {
	me := d.p.AgentID
	sup := d.p.Can(auth.PermSupervise)
	var panel customerPanel
	var allowed, found bool
	var claimed, provedPhone, provedAccount string
	err := d.g.do(func(h *hub) {
		c := h.chats[contact]
		if c == nil {
			return
		}
		found = true
		a := h.agents[me]
		allowed = c.agent == me || (a != nil && a.offer != nil && a.offer.Contact == contact) || sup
		info := c.agentInfo()
		if sup {
			info.Phone = c.info.Phone
		}
		panel = customerPanel{Contact: contact, Customer: info, Vars: c.agentVars(sup), Verified: c.verifiedBy(),
			Contacts: []pastContact{}, Tickets: []pastTicket{}}
		claimed = c.customerNumber()
		provedPhone, provedAccount = c.verifiedPhone, c.verifiedAccount
	})
	if err == nil && !found {
		var e *Error
		found, allowed, e = d.voicePanel(contact, sup, &panel, &provedPhone)
		if e != nil {
			return nil, e
		}
	}
	switch {
	case err != nil:
		return nil, failf(CodeUnavailable, err.Error())
	case !found || !allowed:
		if found {
			return nil, failf(CodeForbidden, "not your contact")
		}
		return nil, failf(CodeNotFound, "no such contact")
	}
	st := d.g.o.Store
	if st == nil {
		return panel, nil
	}
	if panel.Verified == string(ivr.VerifiedNone) {
		if claimed != "" {
			cu, err := st.CustomerByANI(ctx, claimed)
			switch {
			case err == nil:
				panel.Tier = string(cu.Tier)
			case !errors.Is(err, store.ErrNotFound):
				return nil, failf(CodeUnavailable, "customer: "+err.Error())
			}
			// Of the number's tickets, only those filed in this chat.
			if e := d.addTickets(ctx, &panel, claimed, contact); e != nil {
				return nil, e
			}
			if err == nil {
				return d.auditPanel(ctx, panel, cu.ID)
			}
		}
		return d.auditPanel(ctx, panel, "")
	}
	var cu store.Customer
	if provedPhone != "" {
		cu, err = st.CustomerByANI(ctx, provedPhone)
	} else {
		cu, err = st.CustomerByAccount(ctx, provedAccount)
	}
	switch {
	case err == nil:
		panel.Known, panel.Account, panel.Tier = true, cu.Account, string(cu.Tier)
		if panel.Customer.Name == "" {
			panel.Customer.Name = cu.Name
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, failf(CodeUnavailable, "customer: "+err.Error())
	}
	ani := cu.ANI
	if ani != "" {
		past, err := st.Contacts(ctx, store.ContactFilter{ANI: ani, Limit: 20})
		if err != nil {
			return nil, failf(CodeUnavailable, "contacts: "+err.Error())
		}
		var chats []string
		for _, c := range past {
			if c.Channel == store.Chat && c.ID != contact {
				chats = append(chats, c.ID)
			}
		}
		texts, err := st.Transcripts(ctx, chats...)
		if err != nil {
			return nil, failf(CodeUnavailable, "transcripts: "+err.Error())
		}
		for _, c := range past {
			pc := pastContact{ID: c.ID, Channel: string(c.Channel), StartedAt: c.StartedAt,
				Queue: c.QueueID, Agent: c.AgentID, Outcome: string(c.Outcome)}
			for _, m := range texts[c.ID] {
				pc.Transcript = append(pc.Transcript, transcriptLine{From: string(m.Sender), Text: m.Text, At: m.At})
			}
			panel.Contacts = append(panel.Contacts, pc)
		}
		if e := d.addTickets(ctx, &panel, ani, ""); e != nil {
			return nil, e
		}
	}
	return d.auditPanel(ctx, panel, cu.ID)
}

// maskHistory hides the resident ID numbers written in past transcripts
// and ticket subjects from agents (typed in a chat as plain text, they were
// never masked input): supervisors see them whole, as the live variables.
func maskHistory(panel *customerPanel) {
	for i := range panel.Contacts {
		for j := range panel.Contacts[i].Transcript {
			line := &panel.Contacts[i].Transcript[j]
			line.Text = mask.IDsInText(line.Text)
		}
	}
	for i := range panel.Tickets {
		panel.Tickets[i].Subject = mask.IDsInText(panel.Tickets[i].Subject)
	}
}

// Auditor records who viewed a customer's record (audit.Log).
type Auditor interface {
	Append(ctx context.Context, recs ...audit.Record) ([]audit.Record, error)
}

// auditPanel records that the desk's principal was shown panel: a view of
// customer customerID, or of the contact when no stored customer is known.
func (d *deskClient) auditPanel(ctx context.Context, panel customerPanel, customerID string) (any, *Error) {
	if !d.p.Can(auth.PermSupervise) {
		maskHistory(&panel)
	}
	trail := d.g.o.Audit
	if trail == nil {
		return panel, nil
	}
	rec := audit.Record{Action: audit.ActionCustomerView, SubjectKind: audit.KindCustomer, SubjectID: customerID}
	if customerID == "" {
		rec.Action, rec.SubjectKind, rec.SubjectID = audit.ActionContactView, audit.KindContact, panel.Contact
	}
	rec.After, _ = json.Marshal(map[string]string{"via": "desk.panel", "contact_id": panel.Contact, "verified": panel.Verified})
	if _, err := trail.Append(ctx, rec.By(d.p, d.addr)); err != nil {
		d.g.log.Error("customer panel not audited", "contact_id", panel.Contact, "err", err)
		return nil, failf(CodeUnavailable, "audit trail unavailable")
	}
	return panel, nil
}

// addTickets lists phone's tickets on the panel; with onlyContact, only
// those linked to that contact.
func (d *deskClient) addTickets(ctx context.Context, panel *customerPanel, phone, onlyContact string) *Error {
	svc := d.g.o.Tickets
	if svc == nil {
		return nil
	}
	ts, err := svc.Search(ctx, ticket.Actor{ID: "desk", Role: ticket.SupervisorRole}, ticket.Filter{Phone: phone, Limit: 20})
	if err != nil {
		return failf(CodeUnavailable, "tickets: "+err.Error())
	}
	for _, t := range ts {
		if onlyContact == "" || t.Contact == onlyContact {
			panel.Tickets = append(panel.Tickets, pastTicket{ID: t.ID, Number: t.Number, Subject: t.Subject, Status: string(t.Status), Type: string(t.Type)})
		}
	}
	return nil
}

// voicePanel fills the panel of a voice contact from what the flow queued
// it with (the contact bridge keeps it while the call lasts): the caller's
// number, which the network gave (verified "ani" unless the flow proved
// more), and the flow's variables with the IVR path (ivr_path). It
// answers for the agent holding the call or its offer, or a supervisor.
func (d *deskClient) voicePanel(contact string, sup bool, panel *customerPanel, provedPhone *string) (found, allowed bool, _ *Error) {
	b := d.g.o.Bridge
	if b == nil {
		return false, false, nil
	}
	req, ok := b.Request(contact)
	if !ok || req.Channel != ivr.Voice {
		return false, false, nil
	}
	me := d.p.AgentID
	if err := d.g.do(func(h *hub) {
		a := h.agents[me]
		allowed = sup || (a != nil && (a.chats[contact] || (a.offer != nil && a.offer.Contact == contact)))
	}); err != nil {
		return true, false, failf(CodeUnavailable, err.Error())
	}
	verified := req.Context["verified_by"]
	if verified == "" || verified == string(ivr.VerifiedNone) {
		verified = string(ivr.VerifiedANI)
	}
	vars := make(map[string]string, len(req.Context))
	for k, v := range req.Context {
		vars[k] = v
		if !sup && idNumber.MatchString(v) {
			vars[k] = MaskID(v)
		}
	}
	info := CustomerInfo{Phone: req.ANI, Name: req.Context["customer_name"]}
	*panel = customerPanel{Contact: contact, Customer: info, Vars: vars, Verified: verified, Contacts: []pastContact{}, Tickets: []pastTicket{}}
	*provedPhone = req.ANI
	return true, allowed, nil
}
