package sip

// The in-dialog requests of a call the server answered: ACK, BYE,
// re-INVITE, UPDATE and INFO.

import (
	"errors"

	"github.com/emiago/sipgo/sip"

	"github.com/hotline10000/hotline/ivr/media"
)

func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := s.inDialog(req); c != nil {
		if c.late {
			// Kept before ReadAck confirms the dialog, which wakes the
			// INVITE's handler that opens the media with it.
			c.keepAnswer(req.Body())
		}
		_ = c.dlg.ReadAck(req, tx)
	}
}

func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := s.inDialog(req)
	if c == nil {
		if s.agentBye(req, tx) { // an agent's phone hung up (ringer.go)
			return
		}
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if err := c.dlg.ReadBye(req, tx); err != nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c.callerLeft()
}

func (s *Server) onReInvite(req *sip.Request, tx sip.ServerTransaction) {
	c := s.inDialog(req)
	if c == nil {
		if s.agentReInvite(req, tx) { // an agent's phone or the trunk (ringer.go)
			return
		}
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	// Before the ACK of our 200 has come, a re-INVITE would overtake it
	// (each request runs on its own goroutine) and the ACK's CSeq would no
	// longer match: ask the caller to retry (RFC 3261 14.2). After a late
	// offer's ACK the media opens a moment later: the same.
	if c.dlg.LoadState() < sip.DialogStateConfirmed || c.media() == nil {
		respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	if err := c.dlg.ReadRequest(req, tx); err != nil {
		respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	s.updateCall(c, req, tx)
}

// updateCall answers a re-INVITE or an UPDATE in a confirmed dialog: an
// SDP offer moves or holds the media; either refreshes the session timer.
func (s *Server) updateCall(c *call, req *sip.Request, tx sip.ServerTransaction) {
	session, weRefresh, tooSmall := sessionInterval(req, c.peerUpdate || allowsUpdate(req))
	if tooSmall {
		respond(tx, req, 422, "Session Interval Too Small", minSEHeader())
		return
	}
	var res *sip.Response
	if len(req.Body()) > 0 || req.Method == sip.INVITE {
		offer, err := ParseOffer(req.Body())
		if err != nil {
			// The call keeps its media (RFC 3261 14.2).
			respond(tx, req, 488, "Not Acceptable Here", sip.NewHeader("Warning", `304 hotline "`+warningText(err)+`"`))
			return
		}
		res = sip.NewSDPResponseFromRequest(req, c.update(offer))
	} else {
		res = sip.NewResponseFromRequest(req, 200, "OK", nil)
	}
	res.AppendHeader(c.contactHdr)
	if st := c.refresh(session, weRefresh); st.d > 0 {
		for _, h := range sessionHeaders(st.d, st.weRefresh) {
			res.AppendHeader(h)
		}
	}
	_ = tx.Respond(res)
}

// onUpdate takes an UPDATE (RFC 3311) in a confirmed dialog: a session
// refresh, with or without a new offer.
func (s *Server) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	c := s.inDialog(req)
	if c == nil {
		if s.agentReInvite(req, tx) { // an agent's phone or the trunk (ringer.go)
			return
		}
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if c.dlg.LoadState() < sip.DialogStateConfirmed || c.media() == nil {
		respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	if err := c.dlg.ReadRequest(req, tx); err != nil {
		respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	s.updateCall(c, req, tx)
}

func (s *Server) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := s.inDialog(req)
	if c == nil {
		if s.agentInfo(req, tx) { // a key on an agent's phone (ringer.go)
			return
		}
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	leg := c.media()
	if leg == nil { // a late offer's call before its answer
		respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	if err := leg.INFO(ct, req.Body()); err != nil {
		s.log.Debug("sip INFO refused", "contact_id", c.contact.ID, "err", err)
		refuseINFO(tx, req, err)
		return
	}
	respond(tx, req, 200, "OK")
}

// refuseINFO answers an INFO whose key we cannot take: 415 with what we
// accept for a body type we do not read, 400 with a Warning saying why for
// a body of ours that is wrong (a key that is not DTMF, an absurd
// duration). The call goes on either way.
func refuseINFO(tx sip.ServerTransaction, req *sip.Request, err error) {
	if errors.Is(err, media.ErrBadDigit) {
		respond(tx, req, 400, "Bad Request", sip.NewHeader("Warning", `399 hotline "`+warningText(err)+`"`))
		return
	}
	respond(tx, req, 415, "Unsupported Media Type", sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
}
