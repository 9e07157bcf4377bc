// report_xml_reader: a tiny strict XML reader for the report tests (no
// libxml2 dependency): the XML declaration, elements with attributes, text
// with the five predefined entities. Anything else (comments, CDATA, DOCTYPE,
// mismatched or unclosed tags, text outside the root, unknown entities) is an
// error, so a malformed report fails the test. Mixed content is kept as the
// concatenated text of the element.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace testing {

struct XmlNode {
    std::string name;
    std::map<std::string, std::string> attributes;
    std::string text;
    std::vector<XmlNode> children;

    // Children with this name, in document order.
    std::vector<const XmlNode*> all(const std::string& child) const;
    // The only child with this name; nullptr when none or several.
    const XmlNode* one(const std::string& child) const;
    // Text of the only child `path` ("a/b/c"); nullopt when absent or ambiguous.
    std::optional<std::string> value(const std::string& path) const;
    std::vector<std::string> child_names() const;
};

struct XmlParse {
    std::optional<XmlNode> root;
    std::string error;
};

XmlParse parse_xml(const std::string& text);

}  // namespace testing
