package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/internal/store"
)

func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, store.Options{
		URL: cfg.Database.URL, DataDir: cfg.DataDir, MaxConns: cfg.Database.MaxConns,
		LockTimeout: cfg.Database.LockTimeout, Logger: log,
	})
	if err != nil {
		key := "data_dir"
		if cfg.Database.URL != "" {
			key = "database.url"
		}
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return st, nil
}

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer) error {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	for _, m := range applied {
		fmt.Fprintf(out, "applied %s\n", m.Name)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(out, "schema up to date")
	}
	return nil
}
