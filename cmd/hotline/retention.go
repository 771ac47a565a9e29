package main

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

// purgeBatch bounds the rows one purge query takes.
const purgeBatch = 500

// purgeRecordings deletes the recordings (call recordings and voice
// messages) that started more than retention before now: the WAV file
// first, then the row, so a failure leaves a row that the next pass
// retries rather than a file nobody can find. It returns how many went.
func purgeRecordings(ctx context.Context, st *store.Store, dataDir string, retention time.Duration, now time.Time) (int, error) {
	cut := now.Add(-retention)
	n := 0
	for {
		recs, err := st.RecordingsStartedBefore(ctx, cut, purgeBatch)
		if err != nil {
			return n, err
		}
		for _, x := range recs {
			if !strings.Contains(x.Path, "..") {
				if err := os.Remove(filepath.Join(dataDir, x.Path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return n, err
				}
			}
			if err := st.DeleteRecording(ctx, x.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return n, err
			}
			n++
		}
		if len(recs) < purgeBatch {
			return n, nil
		}
	}
}

// runRecordingRetention purges expired recordings at start and then every
// interval until ctx ends (phones.record_retention).
func runRecordingRetention(ctx context.Context, st *store.Store, dataDir string, retention, interval time.Duration, now func() time.Time, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := purgeRecordings(ctx, st, dataDir, retention, now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("recording retention", "err", err, "purged", n)
		case n > 0:
			log.Info("recordings purged", "count", n, "retention", retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
