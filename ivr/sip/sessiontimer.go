package sip

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Session timers, the UAS side of RFC 4028: a caller that asks for them
// (Session-Expires with Supported or Require: timer) gets them. As the
// refresher (refresher=uac) it refreshes with a re-INVITE or an UPDATE,
// and with no refresh in time we hang up. A caller asking us to refresh
// (refresher=uas) and allowing UPDATE gets us as the refresher: an UPDATE
// at half the interval (RFC 4028 10), a BYE when it fails with 408 or 481
// or times out, or at expiry when no refresh succeeded. One that does not
// allow UPDATE gets no timer (we do not refresh by re-INVITE): the call
// then ends by RTP inactivity.

// minSE is our Min-SE: the RFC's floor (RFC 4028 4).
const minSE = 90 * time.Second

// sessionExpires is a request's Session-Expires: the interval and the
// refresher asked for ("" if none); ok false when absent or unreadable.
func sessionExpires(m interface{ GetHeader(string) sip.Header }) (d time.Duration, refresher string, ok bool) {
	h := m.GetHeader("Session-Expires")
	if h == nil {
		h = m.GetHeader("x") // compact form (RFC 4028 4)
	}
	if h == nil {
		return 0, "", false
	}
	v, params, _ := strings.Cut(h.Value(), ";")
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0, "", false
	}
	for _, p := range strings.Split(params, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(val))
		}
	}
	return time.Duration(n) * time.Second, refresher, true
}

// timerSupported reports whether the request lists the timer extension in
// Supported or Require.
func timerSupported(req *sip.Request) bool {
	for _, name := range []string{"Supported", "k", "Require"} {
		for _, h := range req.GetHeaders(name) {
			for _, opt := range strings.Split(h.Value(), ",") {
				if strings.EqualFold(strings.TrimSpace(opt), "timer") {
					return true
				}
			}
		}
	}
	return false
}

// allowsUpdate reports whether the request's Allow lists UPDATE.
func allowsUpdate(req *sip.Request) bool {
	for _, h := range req.GetHeaders("Allow") {
		for _, m := range strings.Split(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(m), "UPDATE") {
				return true
			}
		}
	}
	return false
}

// sessionInterval decides a request's session timer: the interval we run
// (0: none) and whether we are its refresher, or, for an interval below
// our Min-SE, tooSmall. canUpdate says the caller takes UPDATE, the only
// refresh we send.
func sessionInterval(req *sip.Request, canUpdate bool) (d time.Duration, weRefresh, tooSmall bool) {
	d, refresher, ok := sessionExpires(req)
	switch {
	case !ok:
		return 0, false, false
	case d < minSE:
		return 0, false, true
	case !timerSupported(req):
		return 0, false, false
	case refresher == "uas":
		if !canUpdate {
			return 0, false, false
		}
		return d, true, false
	}
	return d, false, false
}

// sessionHeaders are the answer's headers for an interval d > 0: in the
// answer, uas names us.
func sessionHeaders(d time.Duration, weRefresh bool) []sip.Header {
	who := "uac"
	if weRefresh {
		who = "uas"
	}
	return []sip.Header{
		sip.NewHeader("Session-Expires", strconv.Itoa(int(d/time.Second))+";refresher="+who),
		sip.NewHeader("Require", "timer"),
	}
}

// refreshWait is when the refresher refreshes: half the interval (RFC
// 4028 10).
func refreshWait(d time.Duration) time.Duration { return d / 2 }

// refreshTimeout bounds our UPDATE's transaction (64*T1, RFC 3261 17.1.2.2).
const refreshTimeout = 32 * time.Second

// sendRefresh sends our session refresh, an UPDATE without SDP whose
// Session-Expires names us (its UAC) the refresher. It returns the
// interval and role the 2xx kept (0: the answer turned the timer off), or
// fatal when the session must end: 408, 481 or no answer (RFC 4028 10).
func (c *call) sendRefresh(d time.Duration) (next time.Duration, weRefresh bool, fatal bool, err error) {
	ctx, cancel := context.WithTimeout(c.ctx, refreshTimeout)
	defer cancel()
	inv := c.dlg.InviteRequest
	req := sip.NewRequest(sip.UPDATE, inv.Contact().Address)
	req.SetTransport(inv.Transport())
	req.AppendHeader(c.contactHdr)
	req.AppendHeader(sip.NewHeader("Session-Expires", strconv.Itoa(int(d/time.Second))+";refresher=uac"))
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	tx, err := c.dlg.TransactionRequest(ctx, req)
	if err != nil {
		return 0, false, true, fmt.Errorf("session refresh: %w", err)
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			if !res.IsSuccess() {
				err := fmt.Errorf("session refresh: %d %s", res.StatusCode, res.Reason)
				return 0, false, res.StatusCode == 408 || res.StatusCode == 481, err
			}
			got, refresher, ok := sessionExpires(res)
			if !ok {
				return 0, false, false, nil // the caller turned the timer off
			}
			return got, refresher != "uas", false, nil
		case <-tx.Done():
			return 0, false, true, fmt.Errorf("session refresh: %w", tx.Err())
		case <-ctx.Done():
			return 0, false, c.ctx.Err() == nil, fmt.Errorf("session refresh: %w", ctx.Err())
		}
	}
}

func minSEHeader() sip.Header { return sip.NewHeader("Min-SE", strconv.Itoa(int(minSE/time.Second))) }

// expiryWait is how long after a refresh we wait before hanging up: the
// interval less min(32 s, a third of it) (RFC 4028 10).
func expiryWait(d time.Duration) time.Duration {
	return d - min(32*time.Second, d/3)
}
