"""The bounded map that a process keeps what it signed or verified in: never more than its
size, the entry put longest ago goes first, and threads putting at once lose nothing."""

import threading

import pytest

from portal.bounded import BoundedMap


def test_it_holds_at_most_its_size_and_evicts_the_entry_put_longest_ago():
    kept = BoundedMap(3)
    for key in "abc":
        kept.put(key, key.upper())
    assert [kept.get(key) for key in "abc"] == ["A", "B", "C"]
    kept.put("d", "D")
    assert len(kept) == 3
    assert [kept.get(key) for key in "abcd"] == [None, "B", "C", "D"]
    kept.put("e", "E")
    assert ("b" in kept, "c" in kept, len(kept)) == (False, True, 3)


def test_putting_a_key_again_replaces_its_value_and_makes_it_the_newest():
    kept = BoundedMap(3)
    for key in "abc":
        kept.put(key, 1)
    kept.put("a", 2)  # "b" is now the oldest
    kept.put("d", 1)
    assert [kept.get(key) for key in "abcd"] == [2, None, 1, 1]
    assert len(kept) == 3


def test_a_map_of_one_keeps_the_last_entry_and_none_is_refused():
    kept = BoundedMap(1)
    kept.put("a", 1)
    kept.put("b", 2)
    assert (kept.get("a"), kept.get("b"), len(kept)) == (None, 2, 1)
    with pytest.raises(ValueError, match="at least one entry"):
        BoundedMap(0)


def test_threads_putting_at_once_keep_the_bound_and_the_newest_entries():
    size, threads, each = 50, 8, 500
    kept = BoundedMap(size)
    start = threading.Barrier(threads)
    seen_wrong = []

    def put_many(n: int) -> None:
        start.wait()
        for i in range(each):
            kept.put((n, i), n * each + i)
            found = kept.get((n, i - 1))
            if found is not None and found != n * each + i - 1:
                seen_wrong.append(found)

    workers = [threading.Thread(target=put_many, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(kept) == size
    assert seen_wrong == []
    # the oldest puts went first: what is left of each thread is the end of its puts, each
    # with its own value
    for n in range(threads):
        left = [i for i in range(each) if (n, i) in kept]
        assert left == list(range(each - len(left), each)), n
        assert [kept.get((n, i)) for i in left] == [n * each + i for i in left]


def test_clear_forgets_every_entry_and_the_map_fills_again():
    kept = BoundedMap(2)
    kept.put("a", 1)
    kept.put("b", 2)
    kept.clear()
    assert len(kept) == 0 and kept.get("a") is None
    kept.put("c", 3)
    assert kept.get("c") == 3 and len(kept) == 1
