#pragma once

// Set algebra on sorted, disjoint, non-adjacent inclusive intervals, shared by address and port sets. Each
// range type has `first` and `last` of an unsigned type; care is taken never to compute `last + 1` past the
// maximum.

#include <algorithm>
#include <vector>

namespace sgaudit::core::intervals {

// True when `next` (which starts at or after `previous`) overlaps or touches `previous`.
template <class Range>
bool overlapsOrTouches(const Range& previous, const Range& next) {
  return next.first <= previous.last || next.first - 1 == previous.last;
}

// Sorts and merges arbitrary intervals into canonical form, in place.
template <class Range>
void normalise(std::vector<Range>& ranges) {
  if (ranges.size() < 2) return;
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.first < b.first; });
  std::size_t out = 0;
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (overlapsOrTouches(ranges[out], ranges[i])) {
      ranges[out].last = std::max(ranges[out].last, ranges[i].last);
    } else {
      ranges[++out] = ranges[i];
    }
  }
  ranges.resize(out + 1);
}

template <class Range>
void appendMerging(std::vector<Range>& out, const Range& range) {
  if (!out.empty() && overlapsOrTouches(out.back(), range)) {
    out.back().last = std::max(out.back().last, range.last);
  } else {
    out.push_back(range);
  }
}

// The binary operations take any contiguous containers of ranges (vectors, spans).
template <class A, class B, class Range>
void uniteInto(const A& a, const B& b, std::vector<Range>& out) {
  out.clear();
  out.reserve(a.size() + b.size());
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].first <= b[j].first)) {
      appendMerging(out, a[i++]);
    } else {
      appendMerging(out, b[j++]);
    }
  }
}

template <class A, class B, class Range>
void intersectInto(const A& a, const B& b, std::vector<Range>& out) {
  out.clear();
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    auto first = std::max(a[i].first, b[j].first);
    auto last = std::min(a[i].last, b[j].last);
    if (first <= last) out.push_back(Range{first, last});
    if (a[i].last < b[j].last) {
      ++i;
    } else {
      ++j;
    }
  }
}

template <class A, class B, class Range>
void subtractInto(const A& a, const B& b, std::vector<Range>& out) {
  out.clear();
  std::size_t j = 0;
  for (const Range& range : a) {
    auto cursor = range.first;  // NOLINT
    bool exhausted = false;     // the cursor would pass range.last (or the type's maximum)
    while (j < b.size() && b[j].last < cursor)
      ++j;
    std::size_t k = j;
    while (!exhausted && k < b.size() && b[k].first <= range.last) {
      if (b[k].first > cursor) out.push_back(Range{cursor, static_cast<decltype(cursor)>(b[k].first - 1)});
      if (b[k].last >= range.last) {
        exhausted = true;
      } else {
        cursor = static_cast<decltype(cursor)>(b[k].last + 1);
        ++k;
      }
    }
    if (!exhausted) out.push_back(Range{cursor, range.last});
  }
}

template <class A, class B>
bool intersects(const A& a, const B& b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::max(a[i].first, b[j].first) <= std::min(a[i].last, b[j].last)) return true;
    if (a[i].last < b[j].last) {
      ++i;
    } else {
      ++j;
    }
  }
  return false;
}

// Index of the interval containing `value`, or -1.
template <class Ranges, class Value>
long find(const Ranges& ranges, Value value) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), value,
                             [](const Value& v, const auto& r) { return v < r.first; });
  if (it == ranges.begin()) return -1;
  --it;
  return it->last >= value ? static_cast<long>(it - ranges.begin()) : -1;
}

template <class Range>
bool containsAll(const std::vector<Range>& outer, const std::vector<Range>& inner) {
  std::size_t i = 0;
  for (const Range& range : inner) {
    while (i < outer.size() && outer[i].last < range.first)
      ++i;
    if (i == outer.size() || outer[i].first > range.first || outer[i].last < range.last) return false;
  }
  return true;
}

}  // namespace sgaudit::core::intervals
