package engine

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestKeyedMutexServesInArrivalOrder(t *testing.T) {
	var k keyedMutex
	ctx := context.Background()
	first, err := k.lock(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := k.lock(ctx, "app")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			unlock()
		}()
		// Let goroutine i queue before i+1 does.
		for {
			k.mu.Lock()
			n := len(k.queues["app"])
			k.mu.Unlock()
			if n == i+2 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	first()
	wg.Wait()
	for i, got := range order {
		if got != i {
			t.Fatalf("lock order: got %v, want 0..9 in order", order)
		}
	}
	if len(k.queues) != 0 {
		t.Errorf("queues left after all released: %v", k.queues)
	}
}

func TestKeyedMutexCancelledWaiterLeavesQueue(t *testing.T) {
	var k keyedMutex
	unlock, _ := k.lock(context.Background(), "app")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := k.lock(ctx, "app")
		done <- err
	}()
	cancel()
	if err := <-done; err == nil {
		t.Fatal("cancelled waiter got the lock")
	}
	unlock()
	again, err := k.lock(context.Background(), "app")
	if err != nil {
		t.Fatal(err)
	}
	again()
	if len(k.queues) != 0 {
		t.Errorf("queues left: %v", k.queues)
	}
}
