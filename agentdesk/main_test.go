package agentdesk_test

import (
	"os"
	"testing"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

func TestMain(m *testing.M) { os.Exit(deskttest.Main(m)) }
