package agentdesk

import (
	"strings"
	"time"
)

// Announcement is a notice from administration (a mass outage, a team
// huddle) shown on agents' desks until each acknowledges it through
// POST /api/v1/announcements/{id}/ack. Frame "announcement".
type Announcement struct {
	ID        string     `json:"id"`
	Text      string     `json:"text"`
	Team      string     `json:"team,omitempty"` // "": every agent
	Severity  string     `json:"severity"`       // info or outage
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Announce shows a on the desks of agentIDs (nil: every agent's desk).
// Agents not connected read it from the announcements API when their desk
// opens.
func (g *Gateway) Announce(a Announcement, agentIDs []string) {
	g.toDesks(agentIDs, "announcement", a)
}

// WithdrawAnnouncement takes announcement id off the desks (frame
// "announcement.withdrawn").
func (g *Gateway) WithdrawAnnouncement(id string, agentIDs []string) {
	g.toDesks(agentIDs, "announcement.withdrawn", map[string]string{"id": id})
}

func (g *Gateway) toDesks(agentIDs []string, typ string, data any) {
	_ = g.do(func(h *hub) {
		if agentIDs == nil {
			for key, s := range h.byKey {
				if strings.HasSuffix(key, "/desk") {
					h.emit(s, typ, data)
				}
			}
			return
		}
		for _, id := range agentIDs {
			if s := h.agentDesk(id); s != nil {
				h.emit(s, typ, data)
			}
		}
	})
}
