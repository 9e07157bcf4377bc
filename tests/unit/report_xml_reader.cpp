// report_xml_reader: see report_xml_reader.h.
#include "report_xml_reader.h"

#include <cctype>

namespace testing {
namespace {

class Parser {
public:
    explicit Parser(const std::string& text) : s_(text) {}

    XmlParse run() {
        XmlParse out;
        skip_space();
        if (s_.compare(pos_, 5, "<?xml") == 0) {
            auto end = s_.find("?>", pos_);
            if (end == std::string::npos) return fail("unterminated XML declaration");
            pos_ = end + 2;
        }
        skip_space();
        XmlNode root;
        if (!element(root)) return fail(error_);
        skip_space();
        if (pos_ != s_.size()) return fail("content after the root element");
        out.root = std::move(root);
        return out;
    }

private:
    XmlParse fail(const std::string& why) {
        XmlParse out;
        out.error = why + " at offset " + std::to_string(pos_);
        return out;
    }
    bool error(const std::string& why) {
        if (error_.empty()) error_ = why;
        return false;
    }
    void skip_space() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    std::string name() {
        std::size_t start = pos_;
        while (pos_ < s_.size() &&
               (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' ||
                s_[pos_] == '-' || s_[pos_] == ':' || s_[pos_] == '.'))
            ++pos_;
        return s_.substr(start, pos_ - start);
    }
    bool entity(std::string& out) {
        static const std::map<std::string, char> kEntities = {
            {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
        auto end = s_.find(';', pos_);
        if (end == std::string::npos) return error("unterminated entity");
        auto it = kEntities.find(s_.substr(pos_ + 1, end - pos_ - 1));
        if (it == kEntities.end()) return error("unknown entity");
        out += it->second;
        pos_ = end + 1;
        return true;
    }
    bool attribute(XmlNode& node) {
        std::string key = name();
        if (key.empty()) return error("bad attribute");
        if (pos_ >= s_.size() || s_[pos_] != '=') return error("attribute without value");
        ++pos_;
        if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) return error("unquoted attribute");
        char quote = s_[pos_++];
        std::string value;
        while (pos_ < s_.size() && s_[pos_] != quote) {
            if (s_[pos_] == '<') return error("'<' in attribute");
            if (s_[pos_] == '&') {
                if (!entity(value)) return false;
            } else {
                value += s_[pos_++];
            }
        }
        if (pos_ >= s_.size()) return error("unterminated attribute");
        ++pos_;
        if (!node.attributes.emplace(key, value).second) return error("duplicate attribute");
        return true;
    }
    bool element(XmlNode& node) {
        if (pos_ >= s_.size() || s_[pos_] != '<') return error("expected an element");
        ++pos_;
        node.name = name();
        if (node.name.empty()) return error("bad element name");
        for (;;) {
            skip_space();
            if (pos_ >= s_.size()) return error("unterminated tag");
            if (s_.compare(pos_, 2, "/>") == 0) {
                pos_ += 2;
                return true;
            }
            if (s_[pos_] == '>') break;
            if (!attribute(node)) return false;
        }
        ++pos_;
        while (pos_ < s_.size()) {
            char c = s_[pos_];
            if (c == '&') {
                if (!entity(node.text)) return false;
            } else if (c != '<') {
                if (c == '>') return error("'>' in text");
                node.text += c;
                ++pos_;
            } else if (s_.compare(pos_, 2, "</") == 0) {
                pos_ += 2;
                if (name() != node.name) return error("mismatched end tag of " + node.name);
                skip_space();
                if (pos_ >= s_.size() || s_[pos_] != '>') return error("bad end tag");
                ++pos_;
                if (!node.children.empty()) {  // element content: only white space between
                    for (char t : node.text)
                        if (!std::isspace(static_cast<unsigned char>(t)))
                            return error("mixed content in " + node.name);
                    node.text.clear();
                }
                return true;
            } else if (s_.compare(pos_, 2, "<!") == 0 || s_.compare(pos_, 2, "<?") == 0) {
                return error("comments, CDATA and processing instructions not expected");
            } else {
                XmlNode child;
                if (!element(child)) return false;
                node.children.push_back(std::move(child));
            }
        }
        return error("unclosed element " + node.name);
    }

    const std::string& s_;
    std::size_t pos_ = 0;
    std::string error_;
};

}  // namespace

std::vector<const XmlNode*> XmlNode::all(const std::string& child) const {
    std::vector<const XmlNode*> out;
    for (const auto& c : children)
        if (c.name == child) out.push_back(&c);
    return out;
}

const XmlNode* XmlNode::one(const std::string& child) const {
    auto list = all(child);
    return list.size() == 1 ? list.front() : nullptr;
}

std::optional<std::string> XmlNode::value(const std::string& path) const {
    const XmlNode* node = this;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto slash = path.find('/', start);
        std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        node = node->one(part);
        if (node == nullptr) return std::nullopt;
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return node->text;
}

std::vector<std::string> XmlNode::child_names() const {
    std::vector<std::string> out;
    for (const auto& c : children) out.push_back(c.name);
    return out;
}

XmlParse parse_xml(const std::string& text) { return Parser(text).run(); }

}  // namespace testing
