package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/arkeep/arkeep/api"
	"github.com/arkeep/arkeep/collector"
	"github.com/arkeep/arkeep/domain"
	"github.com/arkeep/arkeep/ledger"
	"github.com/arkeep/arkeep/metrics"
	"github.com/arkeep/arkeep/projections"
	"github.com/arkeep/arkeep/web"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	listen := fs.String("listen", envOr("ARKEEP_LISTEN", "127.0.0.1:8080"), "HTTP address for the API and /metrics (env ARKEEP_LISTEN)")
	policyFile := fs.String("policy", "", "dunning policy file (JSON) instead of the built-in default")
	todayFlag := fs.String("today", "", "freeze the business date (YYYY-MM-DD) instead of following the wall clock (demos, tests)")
	tick := fs.Duration("tick", time.Hour, "how often the clock looks for what time made true (doubtful invoices, quarter closes, due reminders)")
	noCollector := fs.Bool("no-collector", false, "do not take reminder jobs on this instance")
	secret := fs.String("webhook-secret", "", "HMAC-SHA256 key for webhook signatures (env ARKEEP_WEBHOOK_SECRET; on the embedded store, default: DATA/webhook.secret, made on first use)")
	reportDir := fs.String("report-dir", os.Getenv("ARKEEP_REPORT_DIR"), "write the day's ageing and bad-debt CSVs into `DIR` each morning (env ARKEEP_REPORT_DIR)")
	holidays := fs.String("holidays", os.Getenv("ARKEEP_HOLIDAYS"), "holidays D1,D2,... skipped by the worklist pages' working days (env ARKEEP_HOLIDAYS)")
	snapEvery := fs.Duration("snapshot-every", 10*time.Minute, "how often to snapshot the projections (when at least 10000 new messages were folded); 0 = never")
	smtpAddr := fs.String("smtp", os.Getenv("ARKEEP_SMTP"), "SMTP server host:port for email reminders (env ARKEEP_SMTP)")
	smtpFrom := fs.String("smtp-from", envOr("ARKEEP_SMTP_FROM", "ar@arkeep.invalid"), "sender address of email reminders")
	tokensFile := fs.String("tokens", "", "API bearer tokens `FILE`: one \"TOKEN ROLE\" per line, roles viewer, clerk, admin, # comments (env ARKEEP_TOKENS=tok1:admin,tok2:viewer adds more)")
	noAuth := fs.Bool("insecure-no-auth", false, "serve the API without authentication when no token is configured (everyone is admin: local demos only)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: arkeep serve [flags]   runs the engine: API, metrics, live projections, clock, collector")
		fs.PrintDefaults()
	}
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	hol, err := projections.ParseHolidays(*holidays)
	if err != nil {
		return usagef("--holidays: %v", err)
	}
	policy, err := loadPolicy("policy", *policyFile)
	if err != nil {
		return err
	}
	if *secret == "" {
		*secret = os.Getenv("ARKEEP_WEBHOOK_SECRET") // read here so that --help never prints it
	}
	if *tokensFile == "" && os.Getenv("ARKEEP_TOKENS") == "" && !*noAuth && sf.natsURL == "" {
		// The default run needs no flags and is still authenticated: an admin token is
		// made on first use in the data directory, readable by its owner only.
		p, err := dataTokens(sf.data, stderr)
		if err != nil {
			return err
		}
		*tokensFile = p
	}
	tokens, err := api.LoadTokens(*tokensFile, os.Getenv("ARKEEP_TOKENS"))
	if err != nil {
		return usagef("%v", err)
	}
	switch {
	case tokens.Len() > 0 && *noAuth:
		return usagef("--insecure-no-auth with API tokens configured: drop one of them")
	case tokens.Len() == 0 && !*noAuth:
		return usagef("no API tokens: give --tokens FILE or ARKEEP_TOKENS, or --insecure-no-auth to serve without authentication")
	case *noAuth:
		fmt.Fprintln(stderr, "arkeep serve: WARNING: --insecure-no-auth: the API accepts every request without a token, with admin rights (write-offs, quarter closes); never expose this instance")
	}
	today := func() domain.Date { return domain.NewDate(time.Now().UTC().Date()) }
	if *todayFlag != "" {
		d, err := domain.ParseDate(*todayFlag)
		if err != nil {
			return usagef("--today: %v", err)
		}
		today = func() domain.Date { return d }
	}

	st, closeStore, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	snaps, err := st.Snapshots(ctx, sf.replicas)
	if err != nil {
		return err
	}
	svc := ledger.New(st, time.Now)
	if snap := projections.LoadSnapshot(ctx, snaps, st); snap != nil {
		err = svc.LoadFrom(ctx, snap.Books, snap.Seq, snap.Subjects)
	} else {
		err = svc.Load(ctx)
	}
	if err != nil {
		return fmt.Errorf("load the books: %w", err)
	}
	live, from, err := projections.StartLiveFrom(ctx, st, snaps)
	if err != nil {
		return fmt.Errorf("start projections: %w", err)
	}
	if from > 0 {
		fmt.Fprintf(stderr, "arkeep serve: projections started from the snapshot at stream sequence %d\n", from)
	}
	if *snapEvery > 0 {
		go live.SnapshotEvery(ctx, snaps, *snapEvery, 10000, func(f string, a ...any) {
			fmt.Fprintf(stderr, "arkeep serve: "+f+"\n", a...)
		})
	}
	queue, err := collector.OpenQueue(ctx, st.JetStream(), sf.replicas)
	if err != nil {
		return fmt.Errorf("open the reminder queue: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv := &api.Server{Service: svc, Live: live, Store: st, Policy: policy, Today: today, Tokens: tokens, InsecureNoAuth: *noAuth}
	apiHandler := srv.Handler(reg)
	mux := http.NewServeMux()
	mux.Handle("/api/", apiHandler)
	mux.Handle("GET /healthz", apiHandler)
	mux.Handle("GET /openapi.json", apiHandler)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", srv.Pages(web.Handler(live, svc, policy, today, web.WithContext(ctx),
		web.WithHolidays(hol), web.WithActor(signedIn))))

	errc := make(chan error, 3)
	if !*noCollector && *secret == "" {
		if sf.natsURL != "" {
			return usagef("--webhook-secret (or ARKEEP_WEBHOOK_SECRET) is required with --nats: every instance must sign webhooks with the same key")
		}
		if *secret, err = dataSecret(sf.data); err != nil {
			return err
		}
	}
	var reminders func() collector.Stats
	if !*noCollector {
		worker, err := collector.NewWorker(queue, collector.ServiceLedger{Service: svc, Today: today},
			collector.Config{WebhookSecret: []byte(*secret), SMTPAddr: *smtpAddr, SMTPFrom: *smtpFrom})
		if err != nil {
			return err
		}
		reminders = worker.Stats
		go func() { errc <- worker.Run(ctx) }()
	}
	reg.MustRegister(metrics.NewCollector(live, policy, today, st.LastSeq, reminders))
	clock := &collector.Clock{Service: svc, Policy: policy, Queue: queue}
	reports := &dailyReports{dir: *reportDir, live: live, lastSeq: st.LastSeq, done: domain.NoDate}
	go func() {
		t := time.NewTicker(*tick)
		defer t.Stop()
		for {
			day := today()
			run, err := clock.Run(ctx, day)
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(stderr, "arkeep serve: clock: %v\n", err)
			} else if run.Doubtful+run.Closed+run.Enqueued > 0 {
				fmt.Fprintf(stderr, "arkeep serve: clock %s: %d doubtful, %d quarters closed, %d reminders queued\n",
					day, run.Doubtful, run.Closed, run.Enqueued)
			}
			if *reportDir != "" {
				if written, err := reports.write(ctx, day); err != nil && ctx.Err() == nil {
					fmt.Fprintf(stderr, "arkeep serve: report dir: %v (trying again next tick)\n", err)
				} else if len(written) > 0 {
					fmt.Fprintf(stderr, "arkeep serve: wrote %v\n", written)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "arkeep serve: listening on http://%s (pages /, API /api/v1, metrics /metrics)\n", ln.Addr())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutdown)
	fmt.Fprintln(stdout, "arkeep serve: stopped")
	return nil
}

// dataTokens returns the API tokens file kept in the data directory, making it with
// one admin token on first use (DATA/api.tokens, mode 0600).
func dataTokens(dir string, stderr io.Writer) (string, error) {
	p := filepath.Join(dir, "api.tokens")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	body := "# arkeep API tokens: TOKEN ROLE (viewer, clerk, admin). Made on first start.\n" + hex.EncodeToString(buf) + " admin\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		return "", fmt.Errorf("api tokens: %w", err)
	}
	fmt.Fprintf(stderr, "arkeep serve: made an admin API token in %s\n", p)
	return p, nil
}

// dataSecret reads the webhook signing key kept in the data directory, making one on
// first use, so that a default run signs webhooks with a stable key an operator can
// hand to receivers (DATA/webhook.secret).
func dataSecret(dir string) (string, error) {
	p := filepath.Join(dir, "webhook.secret")
	if b, err := os.ReadFile(p); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	key := hex.EncodeToString(buf)
	if err := os.WriteFile(p, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	return key, nil
}

// signedIn is the user name a page visitor signed in with (HTTP Basic; the password is
// the token), written into the note of actions recorded from the worklist page.
func signedIn(r *http.Request) string {
	user, _, _ := r.BasicAuth()
	return user
}
