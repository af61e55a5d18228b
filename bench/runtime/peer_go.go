// The Go side of the runtime benchmark (bench/runtime/run.sh): the same work as
// bench_runtime.c, with goroutines on one OS thread (GOMAXPROCS=1, like cafe's one loop).
//
// Usage: peer_go MODE [N]   prints one number on stdout
//
//	yield    two goroutines calling runtime.Gosched in turn: ns per yield
//	yieldt   the same with a third goroutine asleep meanwhile
//	chan     two goroutines ping-ponging over unbuffered channels: ns per hop
//	spawn    start a goroutine that returns at once, then wait for it: ns per goroutine
//	gather   start 1000 such goroutines, then wait for all (WaitGroup): ns per goroutine
//	rss N    N goroutines asleep at once: KiB of VmRSS per goroutine
//
// Timed modes stop after about BENCH_SECONDS of wall time (default 0.2).
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	chunk    = 1024
	batch    = 1000
	sleepFor = 60 * time.Second
)

func budget() time.Duration {
	if s, err := strconv.ParseFloat(os.Getenv("BENCH_SECONDS"), 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return 200 * time.Millisecond
}

func perOp(start time.Time, ops uint64) float64 {
	return float64(time.Since(start).Nanoseconds()) / float64(ops)
}

func yieldRounds(d time.Duration) float64 {
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		for !stop.Load() {
			runtime.Gosched()
		}
		close(done)
	}()
	runtime.Gosched() // let the peer start
	var yields uint64
	start := time.Now()
	for time.Since(start) < d {
		for i := 0; i < chunk; i++ {
			runtime.Gosched()
		}
		yields += chunk
	}
	ns := perOp(start, 2*yields) // the peer yielded as often
	stop.Store(true)
	<-done
	return ns
}

func yieldWithSleeper(d time.Duration) float64 {
	go time.Sleep(sleepFor)
	runtime.Gosched()
	return yieldRounds(d)
}

func chanRounds(d time.Duration) float64 {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	var rounds uint64
	start := time.Now()
	for time.Since(start) < d {
		for i := 0; i < chunk; i++ {
			ping <- i
			<-pong
		}
		rounds += chunk
	}
	ns := perOp(start, 2*rounds)
	close(ping)
	return ns
}

func spawnJoin(d time.Duration) float64 {
	done := make(chan struct{})
	var n uint64
	start := time.Now()
	for time.Since(start) < d {
		for i := 0; i < chunk; i++ {
			go func() { done <- struct{}{} }()
			<-done
		}
		n += chunk
	}
	return perOp(start, n)
}

func gather(d time.Duration) float64 {
	var wg sync.WaitGroup
	var n uint64
	start := time.Now()
	for time.Since(start) < d {
		wg.Add(batch)
		for i := 0; i < batch; i++ {
			go wg.Done()
		}
		wg.Wait()
		n += batch
	}
	return perOp(start, n)
}

func vmRSSKiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "VmRSS:" {
			kib, _ := strconv.ParseFloat(fields[1], 64)
			return kib
		}
	}
	return -1
}

// The process exits with the goroutines still asleep: Go cannot cancel a time.Sleep.
func rss(n int) float64 {
	var started atomic.Int64
	base := vmRSSKiB()
	for i := 0; i < n; i++ {
		go func() {
			started.Add(1)
			time.Sleep(sleepFor)
		}()
	}
	for started.Load() < int64(n) {
		runtime.Gosched()
	}
	return (vmRSSKiB() - base) / float64(n)
}

func main() {
	runtime.GOMAXPROCS(1)
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: peer_go yield|yieldt|chan|spawn|gather|rss [N]")
		os.Exit(2)
	}
	n := 10000
	if len(os.Args) > 2 {
		if v, err := strconv.Atoi(os.Args[2]); err == nil && v > 0 {
			n = v
		}
	}
	d := budget()
	modes := map[string]func() float64{
		"yield":  func() float64 { return yieldRounds(d) },
		"yieldt": func() float64 { return yieldWithSleeper(d) },
		"chan":   func() float64 { return chanRounds(d) },
		"spawn":  func() float64 { return spawnJoin(d) },
		"gather": func() float64 { return gather(d) },
		"rss":    func() float64 { return rss(n) },
	}
	f, ok := modes[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "peer_go: no mode %q\n", os.Args[1])
		os.Exit(2)
	}
	fmt.Printf("%.2f\n", f())
}
