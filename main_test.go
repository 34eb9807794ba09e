package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, os.Getenv, pw, io.Discard) }()
	line := make([]byte, 200)
	n, err := pr.Read(line)
	require.NoError(t, err)
	addr := regexp.MustCompile(`http://\S+`).FindString(string(line[:n]))
	require.NotEmpty(t, addr, "serve printed %q", line[:n])
	go io.Copy(io.Discard, pr)

	get := func(path string) (int, string) {
		resp, err := http.Get(addr + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/healthz")
	assert.Equal(t, 200, code)
	assert.Equal(t, "ok\n", body)
	code, body = get("/")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "zabplay")
	assert.Contains(t, body, `data-widget`)
	assert.Contains(t, body, `<script type="module" src="/static/playground.js"></script>`)
	for _, path := range []string{"/playground", "/lessons", "/lessons/roles-votes-zxid", "/lessons/broadcast", "/lessons/leader-dies", "/static/site.css"} {
		code, _ = get(path)
		assert.Equal(t, 200, code, path)
	}
	code, body = get("/no/such/page")
	assert.Equal(t, 404, code)
	assert.Contains(t, body, "Not found")
	resp, err := http.Post(addr+"/", "text/plain", strings.NewReader("x"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 405, resp.StatusCode)

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

func TestSimScenarioCommand(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"sim", "--scenario", "core/sim/testdata/sync-diff.txt"}, os.Getenv, &out, io.Discard)
	require.NoError(t, err)
	assert.Contains(t, out.String(), "PASS expect sync f == DIFF")
	assert.Contains(t, out.String(), "0 failed, 0 violations")
}

func TestSimCampaignCommand(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"sim", "--seeds", "4", "--voters", "3", "--duration", "5s"}, os.Getenv, &out, io.Discard)
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^seeds=4 violations=0 events/s=\d+$`, out.String())
}

func TestBadInput(t *testing.T) {
	for _, args := range [][]string{{"fly"}, {"sim", "--scenario", "nope.txt"}, {"sim", "--seeds", "1", "--voters", "12"}, {"node"}} {
		err := run(context.Background(), args, os.Getenv, io.Discard, io.Discard)
		assert.Error(t, err, strings.Join(args, " "))
	}
}

func TestServeEnsembles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--max-ensembles", "2", "--max-ensembles-per-client", "1",
			"--ensemble-idle", "1m", "--allowed-origins", "zab.example"}, os.Getenv, pw, io.Discard)
	}()
	line := make([]byte, 200)
	n, err := pr.Read(line)
	require.NoError(t, err)
	addr := regexp.MustCompile(`http://\S+`).FindString(string(line[:n]))
	require.NotEmpty(t, addr, "serve printed %q", line[:n])
	go io.Copy(io.Discard, pr)

	token := ""
	post := func(path, body string) (int, string) {
		req, err := http.NewRequest("POST", addr+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post("/api/ensembles", `{"voters":3,"linkDelayMs":0}`)
	require.Equal(t, 201, code, body)
	id := regexp.MustCompile(`"id":"(e-[0-9a-f]+)"`).FindStringSubmatch(body)
	require.Len(t, id, 2, body)
	assert.Contains(t, body, `"live":true`)
	tok := regexp.MustCompile(`"token":"([A-Za-z0-9_-]+)"`).FindStringSubmatch(body)
	require.Len(t, tok, 2, body)
	token = tok[1]
	code, body = post("/api/ensembles", `{"voters":1}`)
	assert.Equal(t, 429, code, body)
	code, body = post("/api/ensembles/"+id[1]+"/actions", `{"text":"explode"}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, body, `unknown verb \"explode\"`)
	resp, err := http.Get(addr + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "the site is still served beside the API")
	dirs, _ := os.ReadDir(tmp)
	assert.Len(t, dirs, 1, "the ensembles' data root")

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not shut down")
	}
	dirs, _ = os.ReadDir(tmp)
	assert.Empty(t, dirs, "shutdown removed every ensemble's data")

	err = run(context.Background(), []string{"serve", "--ensemble-mode", "cloud"}, os.Getenv, io.Discard, io.Discard)
	assert.ErrorContains(t, err, `ensemble mode "cloud": want inprocess or process`)
	err = run(context.Background(), []string{"serve", "--max-ensembles", "1", "--max-ensembles-per-client", "2"}, os.Getenv, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "want 1 <= per client <= total")
}
