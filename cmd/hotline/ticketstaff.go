package main

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/store"
)

// ticketStaff is the ticket desk's view of the center's people. Tickets
// name an agent by its stable id everywhere (the desk, the REST API, the
// store); the settings file's directory and rules name people by login,
// as an operator writes them. ticketStaff maps between the two at this
// edge: it is the desk's ticket.Directory and ticket.Targets.
type ticketStaff struct {
	st  *store.Store
	cur *atomic.Pointer[ticketLive] // the directory and groups as administered now
}

// ticketLive is what administration changes of the ticket desk's people
// while it runs: the directory (leads and members), every group the
// settings name, and the desk's ticket form.
type ticketLive struct {
	dir    ticket.StaticDirectory
	groups []string
	form   agentdesk.TicketForm
}

func newTicketLive(s ticket.Settings) *ticketLive {
	form := agentdesk.TicketFormFrom(s)
	return &ticketLive{dir: s.Directory, groups: form.Groups, form: form}
}

// Staff implements ticket.Directory: id is an agent id (or, for people the
// store does not know, a directory key).
func (s ticketStaff) Staff(id string) (ticket.Address, bool) {
	if a, err := s.st.Agent(context.Background(), id); err == nil {
		if addr, ok := s.cur.Load().dir.People[a.Login]; ok {
			return addr, true
		}
	}
	return s.cur.Load().dir.Staff(id)
}

// Lead implements ticket.Directory: the lead's agent id.
func (s ticketStaff) Lead(group string) (string, bool) {
	login, ok := s.cur.Load().dir.Leads[group]
	if !ok {
		return "", false
	}
	if a, err := s.st.AgentByLogin(context.Background(), login); err == nil {
		return a.ID, true
	}
	return login, true
}

// Group implements ticket.Targets.
func (s ticketStaff) Group(name string) bool { return slices.Contains(s.cur.Load().groups, name) }

// Agent implements ticket.Targets: ref is an agent id or a login.
func (s ticketStaff) Agent(ctx context.Context, ref string) (string, error) {
	a, err := s.st.Agent(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		a, err = s.st.AgentByLogin(ctx, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return "", ticket.ErrNotFound
	}
	if err != nil {
		return "", err
	}
	return a.ID, nil
}
