package agentdesk_test

import (
	"testing"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

// TestMarketingLogOwnContactOnly: an offer is recorded on the agent's own
// contact; another agent's contact (or one that does not exist) is refused
// with forbidden.
func TestMarketingLogOwnContactOnly(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{})
	alice, _, contact := readyAgentWithChat(t, s)
	bob := dialDesk(t, s, "bob", "")
	log := map[string]string{"contact_id": contact, "offer": "5G 融合套餐", "outcome": "accepted"}
	_, err := bob.Do("marketing.log", log, wait)
	wantCode(t, err, agentdesk.CodeForbidden)
	_, err = bob.Do("marketing.log", map[string]string{"contact_id": "chat-nosuch", "offer": "5G", "outcome": "presented"}, wait)
	wantCode(t, err, agentdesk.CodeForbidden)
	do(t, alice, "marketing.log", log)
}
