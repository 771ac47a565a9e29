package agentdesk_test

import (
	"context"
	"testing"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/bridge"
)

// The board carries the KPI tiles the server gives it, pushed without
// any ACD event (the tiles change with time alone).
func TestBoardCarriesKPITiles(t *testing.T) {
	type tile struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	s := deskttest.New(t, deskttest.Options{KPIs: func(context.Context) (any, error) {
		return []tile{{ID: "SL01", Status: "ok"}, {ID: "SL02", Status: "breach"}}, nil
	}})
	board := dialDesk(t, s, "sam", "board")
	var b struct {
		KPIs []tile `json:"kpis"`
	}
	if _, err := board.Want("board", &b, wait); err != nil {
		t.Fatal(err)
	}
	if len(b.KPIs) != 2 || b.KPIs[1].ID != "SL02" || b.KPIs[1].Status != "breach" {
		t.Fatalf("board kpis %+v, want the two tiles", b.KPIs)
	}
}

// With the KPI engine's queue counts, the board's queue rows show them
// (counted where SL01 and SL03 count), not the bridge's own.
func TestBoardQueueCountsFromTheKPIEngine(t *testing.T) {
	s := deskttest.New(t, deskttest.Options{
		KPIs: func(context.Context) (any, error) { return []string{}, nil },
		QueueDays: func(context.Context) (map[string]bridge.DayCount, error) {
			return map[string]bridge.DayCount{"general": {Answered: 7, Abandoned: 2, Lost: 1}}, nil
		}})
	board := dialDesk(t, s, "sam", "board")
	var b struct {
		Queues []struct {
			Queue     string `json:"queue"`
			Answered  int    `json:"answered"`
			Abandoned int    `json:"abandoned"`
			Lost      int    `json:"lost"`
		} `json:"queues"`
	}
	if _, err := board.Want("board", &b, wait); err != nil {
		t.Fatal(err)
	}
	for _, q := range b.Queues {
		if q.Queue == "general" {
			if q.Answered != 7 || q.Abandoned != 2 || q.Lost != 1 {
				t.Fatalf("general %+v, want 7 answered, 2 abandoned, 1 lost", q)
			}
			return
		}
	}
	t.Fatalf("no general queue on the board: %+v", b.Queues)
}
