// server_go: the benchmark's pages served by Go's net/http instead of cafe-fixture, as
// in issue 11's own harness. It serves /page/N on N sites, one loopback port each, with the
// same head, title and size as cafe-fixture's pages, so the same URLs and the same title
// check work against either server. net/http spreads the requests over every core and its
// timers are exact to microseconds, where cafe-fixture is one event loop with
// millisecond timers: run.sh's BENCH_SERVER=go shows what of a round is the server's.
//
// Usage: server_go [--sites N] [--size BYTES] [--delay MS]
// Prints "ready 127.0.0.1 PORT..." once every site listens; stops at end of stdin.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

const tail = "\n</div>\n</body>\n</html>\n"

const para = "<p class=\"text\">The fixture serves pages of a realistic size so that clients " +
	"read, parse and discard real bytes. This paragraph repeats; a <a href=\"/page/1\">link" +
	"</a>, some <em>emphasis</em>, an entity &amp; a character reference &#233; keep a " +
	"parser honest. No title appears after the head.</p>\n"

// head is what comes before the filler in page n of site s, as in cafe-fixture.
func head(s, n int) string {
	return fmt.Sprintf("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"+
		"<title>Site %d page %d \u2014 cafe fixture</title>\n"+
		"<meta name=\"viewport\" content=\"width=device-width\">\n"+
		"</head>\n<body>\n<div id=\"main\">\n", s, n)
}

// filler repeats para up to size bytes, built once and shared by every response.
func filler(size int) []byte {
	b := make([]byte, 0, size+len(para))
	for len(b) < size {
		b = append(b, para...)
	}
	return b[:size]
}

type site struct {
	index  int
	size   int
	delay  time.Duration
	filler []byte
}

func (st site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/page/"))
	if r.URL.Path == "/" {
		n, err = 0, nil
	}
	if err != nil || n < 0 {
		http.NotFound(w, r)
		return
	}
	if st.delay > 0 {
		time.Sleep(st.delay)
	}
	h := head(st.index, n)
	fill := st.size - len(h) - len(tail)
	if fill < 0 {
		fill = 0
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(h)+fill+len(tail)))
	// A write fails only when the client went away: nothing to tell it then.
	_, _ = io.WriteString(w, h)
	_, _ = w.Write(st.filler[:fill])
	_, _ = io.WriteString(w, tail)
}

func main() {
	sites := flag.Int("sites", 200, "sites, one port each")
	size := flag.Int("size", 30000, "body size of a page in bytes")
	delay := flag.Int("delay", 0, "milliseconds before each response")
	flag.Parse()
	fill := filler(*size)
	ports := make([]string, *sites)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "server_go:", err)
			os.Exit(1)
		}
		ports[i] = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		srv := &http.Server{Handler: site{i, *size, time.Duration(*delay) * time.Millisecond, fill}}
		go func() {
			if err := srv.Serve(ln); err != nil {
				fmt.Fprintln(os.Stderr, "server_go:", err)
				os.Exit(1)
			}
		}()
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "ready 127.0.0.1 %s\n", strings.Join(ports, " "))
	if err := out.Flush(); err != nil {
		os.Exit(1)
	}
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		os.Exit(1)
	}
}
