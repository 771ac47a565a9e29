package tickettest

import (
	"testing"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

func TestMemoryContract(t *testing.T) {
	Contract(t, func(*testing.T) ticket.Repository { return NewMemory() })
}
