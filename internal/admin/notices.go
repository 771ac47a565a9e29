package admin

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ivrNotice is a live announcement that carries an IVR notice.
type ivrNotice struct {
	id, text  string
	expiresAt *time.Time
	IVRNotice
}

// LoadNotices reads the live IVR notices from the store into the API's
// board (the node's start; creating or withdrawing one reloads it, and
// WatchNotices reloads it when another node changed them).
func (a *API) LoadNotices(ctx context.Context) error {
	// Loads are serialised so that a later load's board is never replaced
	// by an earlier, slower one's.
	a.noticeMu.Lock()
	defer a.noticeMu.Unlock()
	stamp, err := a.o.Store.AnnouncementsStamp(ctx)
	if err != nil {
		return err
	}
	live, err := a.o.Store.LiveAnnouncements(ctx, a.o.Now())
	if err != nil {
		return err
	}
	out := []ivrNotice{}
	for _, an := range live {
		if an.IVR == "" {
			continue
		}
		n := ivrNotice{id: an.ID, text: an.Text, expiresAt: an.ExpiresAt}
		if err := json.Unmarshal([]byte(an.IVR), &n.IVRNotice); err != nil {
			a.o.Logger.Warn("announcement with an unreadable ivr notice skipped", "id", an.ID, "err", err)
			continue
		}
		out = append(out, n)
	}
	a.notices.Store(&out)
	// The stamp read before the rows: a change made in between is loaded
	// now and once more at the next look, never missed.
	a.noticeStamp = stamp
	return nil
}

// RefreshNotices reloads the IVR notices when the announcements changed
// since the last load (by this node or another sharing the store), at the
// cost of one small query when they did not. It reports whether it
// reloaded.
func (a *API) RefreshNotices(ctx context.Context) (bool, error) {
	stamp, err := a.o.Store.AnnouncementsStamp(ctx)
	if err != nil {
		return false, err
	}
	a.noticeMu.Lock()
	same := stamp == a.noticeStamp
	a.noticeMu.Unlock()
	if same {
		return false, nil
	}
	return true, a.LoadNotices(ctx)
}

// WatchNotices refreshes the IVR notices at every tick until ctx ends, so
// that every node sharing a store plays a notice created or withdrawn on
// any of them within one tick (admin.notice_refresh). Nodes have no
// cross-node event bus; a stamp compared per tick costs one query per
// node, whatever the traffic.
func (a *API) WatchNotices(ctx context.Context, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			if changed, err := a.RefreshNotices(ctx); err != nil && ctx.Err() == nil {
				a.o.Logger.Warn("ivr notices not refreshed", "err", err)
			} else if changed {
				a.o.Logger.Info("ivr notices reloaded: the announcements changed")
			}
		}
	}
}

func (a *API) reloadNotices(ctx context.Context) {
	if err := a.LoadNotices(context.WithoutCancel(ctx)); err != nil {
		a.o.Logger.Error("ivr notices not reloaded", "err", err)
	}
}

var mobile = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// national is a number without its country code ("+86", "86" before a
// mobile number, "0086") and separators.
func national(number string) string {
	n := strings.NewReplacer(" ", "", "-", "").Replace(number)
	for _, p := range []string{"+86", "0086"} {
		n = strings.TrimPrefix(n, p)
	}
	if strings.HasPrefix(n, "86") && mobile.MatchString(n[2:]) {
		n = n[2:]
	}
	return n
}

// IVRNotices returns the texts of the live IVR notices for a customer
// contacting from number at now, oldest first: those whose areas (number
// prefixes) and products (mobile or landline) match. A number that is not
// digits (an anonymous chat) matches only notices without areas and
// products. No I/O: the board is in memory.
func (a *API) IVRNotices(now time.Time, number string) []string {
	p := a.notices.Load()
	if p == nil || len(*p) == 0 {
		return nil
	}
	n := national(number)
	known := n != "" && strings.Trim(n, "0123456789") == ""
	product := "landline"
	if mobile.MatchString(n) {
		product = "mobile"
	}
	var out []string
	for _, x := range *p {
		if x.expiresAt != nil && !now.Before(*x.expiresAt) {
			continue
		}
		if len(x.Areas) > 0 && (!known || !slices.ContainsFunc(x.Areas, func(area string) bool { return strings.HasPrefix(n, area) })) {
			continue
		}
		if len(x.Products) > 0 && (!known || !slices.Contains(x.Products, product)) {
			continue
		}
		out = append(out, x.text)
	}
	return out
}
