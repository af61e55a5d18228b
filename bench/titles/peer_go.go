// Go peer of `cafe titles` (see bench/README.md, "cafe titles"): a pool of C goroutines
// fetching the URLs of FILE with net/http, the title read with the x/net/html tokenizer that
// stops at the first <title>. Prints the guide's `'Title' from URL` lines in input order.
// Usage: peer_go FILE CONCURRENCY
//
// The body is drained after the title so that the connection is kept alive, as cafe and
// curl do: closing it early costs a new connection per URL (bench/README.md).
package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/html"
)

// title returns the text of the first <title> element of r, or "" if there is none.
func title(r io.Reader) string {
	z := html.NewTokenizer(r)
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken:
			name, _ := z.TagName()
			if string(name) != "title" {
				continue
			}
			if z.Next() == html.TextToken {
				return strings.Join(strings.Fields(string(z.Text())), " ")
			}
			return ""
		}
	}
}

func fetch(client *http.Client, url string) string {
	resp, err := client.Get(url)
	if err != nil {
		return fmt.Sprintf("Error fetching %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		io.Copy(io.Discard, resp.Body)
		return fmt.Sprintf("Error fetching %s: %s", url, resp.Status)
	}
	t := title(resp.Body)
	io.Copy(io.Discard, resp.Body)
	return t
}

func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	var urls []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			urls = append(urls, line)
		}
	}
	return urls
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: peer_go FILE CONCURRENCY")
		os.Exit(2)
	}
	urls := readLines(os.Args[1])
	c, err := strconv.Atoi(os.Args[2])
	if err != nil || c < 1 {
		fmt.Fprintln(os.Stderr, "bad concurrency:", os.Args[2])
		os.Exit(2)
	}
	// The default transport keeps only 2 idle connections per host: with C workers
	// that would reconnect all the time. Keep as many as there are workers.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = c
	client := &http.Client{Transport: tr, Timeout: 15 * time.Second}

	titles := make([]string, len(urls))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				titles[i] = fetch(client, urls[i])
			}
		}()
	}
	for i := range urls {
		next <- i
	}
	close(next)
	wg.Wait()

	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for i, url := range urls {
		fmt.Fprintf(out, "'%s' from %s\n", titles[i], url)
	}
}
