// EC2 Describe* helpers: Filter.N matching (values may hold the wildcards * and ?, a resource
// matches when every filter has a value matching one of the resource's values for that name)
// and MaxResults/NextToken pagination over a list sorted by id.
#pragma once

#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "cloud/engine/ec2_error.h"
#include "cloud/engine/engine_types.h"

namespace spotkeeper::cloud {

// `pattern` with * (any run) and ? (any one character) against `value`.
bool GlobMatch(const std::string& pattern, const std::string& value);

// InvalidParameterValue ("The filter 'x' is invalid") for a name neither in `known` nor one of
// tag:<key>, tag-key, tag-value.
Status ValidateFilters(const std::vector<Ec2Filter>& filters, const std::set<std::string>& known);

// The values a resource has for a filter name (tag filters are handled here from `tags`).
using FilterFields = std::function<std::vector<std::string>(const std::string& name)>;
bool MatchesFilters(const std::vector<Ec2Filter>& filters, const TagMap& tags,
                    const FilterFields& fields);

// MaxResults must lie in [lo, hi] (InvalidParameterValue otherwise); NextToken is the id to
// continue after (opaque to clients). `ids` must be sorted ascending.
struct PageBounds {
  size_t begin = 0;
  size_t end = 0;
  std::string next_token;
};
Result<PageBounds> PaginateIds(const std::vector<std::string>& ids, const DescribeRequest& req,
                               int64_t lo, int64_t hi);

// The page of `matched` that `req` asks for; `ids[i]` is the id of `matched[i]`, ascending.
template <typename T>
Result<Page<T>> PageOf(std::vector<T> matched, const std::vector<std::string>& ids,
                       const DescribeRequest& req, int64_t lo, int64_t hi) {
  SK_ASSIGN_OR_RETURN(PageBounds b, PaginateIds(ids, req, lo, hi));
  Page<T> page;
  page.items.assign(std::make_move_iterator(matched.begin() + static_cast<std::ptrdiff_t>(b.begin)),
                    std::make_move_iterator(matched.begin() + static_cast<std::ptrdiff_t>(b.end)));
  page.next_token = b.next_token;
  return page;
}

// A block device mapping's device name: /dev/(sd|xvd|hd)<letters><digits>, and not already in
// `seen` (it is added). EC2's InvalidBlockDeviceMapping otherwise.
Status CheckMappingDevice(const std::string& device, std::set<std::string>* seen);

// Checks the shape of an id ("i-" + hex); `code` is EC2's Malformed code for the kind.
Status CheckIdShape(const std::string& id, const std::string& prefix, const std::string& code);

}  // namespace spotkeeper::cloud
