package main

import (
	"context"
	"errors"
	"slices"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/store"
)

// ticketStaff is the ticket desk's view of the center's people. Tickets
// name an agent by its stable id everywhere (the desk, the REST API, the
// store); the settings file's directory and rules name people by login,
// as an operator writes them. ticketStaff maps between the two at this
// edge: it is the desk's ticket.Directory and ticket.Targets.
type ticketStaff struct {
	st     *store.Store
	dir    ticket.StaticDirectory
	groups []string // every group the settings name
}

// Staff implements ticket.Directory: id is an agent id (or, for people the
// store does not know, a directory key).
func (s ticketStaff) Staff(id string) (ticket.Address, bool) {
	if a, err := s.st.Agent(context.Background(), id); err == nil {
		if addr, ok := s.dir.People[a.Login]; ok {
			return addr, true
		}
	}
	return s.dir.Staff(id)
}

// Lead implements ticket.Directory: the lead's agent id.
func (s ticketStaff) Lead(group string) (string, bool) {
	login, ok := s.dir.Leads[group]
	if !ok {
		return "", false
	}
	if a, err := s.st.AgentByLogin(context.Background(), login); err == nil {
		return a.ID, true
	}
	return login, true
}

// Group implements ticket.Targets.
func (s ticketStaff) Group(name string) bool { return slices.Contains(s.groups, name) }

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
