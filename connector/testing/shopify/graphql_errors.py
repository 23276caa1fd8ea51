"""Request errors in the shape Shopify's GraphQL server (graphql-ruby) gives them, from graphql-core's errors.

Shopify answers a document that does not parse or validate with HTTP 200 and top-level `errors`, each with
`message`, `locations`, the `path` of the offending node in the document (["query Q", "orders", "first"]) and
`extensions.code` naming the broken rule (undefinedField, argumentNotAccepted, missingRequiredArguments...).
graphql-core finds the same faults; this module gives them Shopify's wording and codes. Which rule failed is
found by validating once per rule, only for documents that failed.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TokenKind,
    print_ast,
    specified_rules,
    validate,
)
from graphql.language import Lexer

Formatted = dict[str, Any]

RUBY_TOKENS = {
    TokenKind.BRACE_R: "RCURLY",
    TokenKind.BRACE_L: "LCURLY",
    TokenKind.PAREN_L: "LPAREN",
    TokenKind.PAREN_R: "RPAREN",
    TokenKind.BRACKET_L: "LBRACKET",
    TokenKind.BRACKET_R: "RBRACKET",
    TokenKind.COLON: "COLON",
    TokenKind.BANG: "BANG",
    TokenKind.DOLLAR: "VAR_SIGN",
    TokenKind.EQUALS: "EQUALS",
    TokenKind.AT: "DIR_SIGN",
    TokenKind.SPREAD: "ELLIPSIS",
    TokenKind.NAME: "IDENTIFIER",
    TokenKind.INT: "INT",
    TokenKind.FLOAT: "FLOAT",
    TokenKind.STRING: "STRING",
    TokenKind.BLOCK_STRING: "STRING",
    TokenKind.PIPE: "PIPE",
    TokenKind.AMP: "AMP",
}


def _locations(error: GraphQLError) -> list[dict[str, int]]:
    return [{"line": location.line, "column": location.column} for location in error.locations or []]


# --- parse errors ---


def parse_error(error: GraphQLError, query: str) -> Formatted:
    """`Parse error on "}" (RCURLY) at [1, 10]`, or `Unexpected end of document`."""
    token = _token_at(query, error.positions[0] if error.positions else len(query))
    if token is None or token.kind == TokenKind.EOF:
        message = "Unexpected end of document"
    else:
        location = error.locations[0] if error.locations else None
        where = f" at [{location.line}, {location.column}]" if location else ""
        kind = RUBY_TOKENS.get(token.kind, token.kind.name)
        message = f'Parse error on "{token.value or token.kind.value}" ({kind}){where}'
    return {"message": message, "locations": _locations(error)}


def _token_at(query: str, position: int) -> Any:
    lexer = Lexer(Source(query))
    try:
        token = lexer.advance()
        while token.kind != TokenKind.EOF and token.end <= position:
            token = lexer.advance()
        return token
    except GraphQLError:
        return None


# --- validation errors ---


def validation_errors(schema: GraphQLSchema, document: DocumentNode) -> list[Formatted]:
    """Shopify-shaped errors of an invalid document, or [] when it is valid."""
    if not validate(schema, document):
        return []
    paths = _DocumentPaths(document)
    found: list[Formatted] = []
    for rule in specified_rules:
        rule_errors = validate(schema, document, [rule])
        if rule.__name__ == "ProvidedRequiredArgumentsRule":
            found += _missing_arguments(rule_errors, paths)
        else:
            found += [_translate(rule.__name__, error, paths) for error in rule_errors]
    return found


def _translate(rule: str, error: GraphQLError, paths: _DocumentPaths) -> Formatted:
    message, extensions = _ruby_wording(rule, error, paths)
    formatted: Formatted = {"message": message, "locations": _locations(error)}
    node_path = paths.of(error.nodes[0]) if error.nodes else None
    if node_path:
        formatted["path"] = node_path
    formatted["extensions"] = extensions
    return formatted


def _ruby_wording(rule: str, error: GraphQLError, paths: _DocumentPaths) -> tuple[str, dict[str, Any]]:
    text = error.message
    if match := re.match(r"Cannot query field '(\w+)' on type '(\w+)'", text):
        field, type_name = match.groups()
        return f"Field '{field}' doesn't exist on type '{type_name}'", {
            "code": "undefinedField",
            "typeName": type_name,
            "fieldName": field,
        }
    if match := re.match(r"Unknown argument '(\w+)' on field '\w+\.(\w+)'", text):
        argument, field = match.groups()
        return f"Field '{field}' doesn't accept argument '{argument}'", {
            "code": "argumentNotAccepted",
            "name": field,
            "typeName": "Field",
            "argumentName": argument,
        }
    if match := re.match(r"Unknown argument '(\w+)' on directive '@(\w+)'", text):
        argument, directive = match.groups()
        return f"Directive '{directive}' doesn't accept argument '{argument}'", {
            "code": "argumentNotAccepted",
            "name": directive,
            "typeName": "Directive",
            "argumentName": argument,
        }
    if match := re.match(r"Field '(\w+)' of type '([^']+)' must have a selection of subfields", text):
        field, type_name = match.groups()
        return (
            f"Field must have selections (field '{field}' returns {type_name} but has no selections. "
            f"Did you mean '{field} {{ ... }}'?)",
            {"code": "selectionMismatch", "nodeName": f"field '{field}'", "typeName": type_name},
        )
    if match := re.match(r"Field '(\w+)' must not have a selection since type '([^']+)' has no subfields", text):
        field, type_name = match.groups()
        node = error.nodes[0] if error.nodes else None
        chosen = (
            [s.name.value for s in node.selection_set.selections if isinstance(s, FieldNode)]
            if isinstance(node, FieldNode) and node.selection_set
            else []
        )
        return (
            f"Selections can't be made on scalars "
            f"(field '{field}' returns {type_name} but has selections [{', '.join(chosen)}])",
            {"code": "selectionMismatch", "nodeName": f"field '{field}'", "typeName": type_name},
        )
    if match := re.match(r"Variable '\$(\w+)' is never used(?: in operation '(\w+)')?", text):
        variable, operation = match.groups()
        return f"Variable ${variable} is declared by {_operation_label(operation, error, paths)} but not used", {
            "code": "variableNotUsed",
            "variableName": variable,
        }
    if match := re.match(r"Variable '\$(\w+)' is not defined(?: by operation '(\w+)')?", text):
        variable, operation = match.groups()
        return f"Variable ${variable} is used by {_operation_label(operation, error, paths)} but not declared", {
            "code": "variableNotDefined",
            "variableName": variable,
        }
    if match := re.match(r"Unknown type '(\w+)'", text):
        type_name = match.group(1)
        variable = paths.variable_of(error.nodes[0]) if error.nodes else None
        if variable:
            return f"{type_name} isn't a defined input type (on ${variable})", {
                "code": "variableRequiresValidType",
                "typeName": type_name,
                "variableName": variable,
            }
        return f"No such type {type_name}, so it can't be a fragment condition", {
            "code": "undefinedType",
            "typeName": type_name,
        }
    if match := re.match(r"Unknown directive '@(\w+)'", text):
        return f"Directive @{match.group(1)} is not defined", {
            "code": "undefinedDirective",
            "directiveName": match.group(1),
        }
    if rule == "ValuesOfCorrectTypeRule":
        argument = paths.argument_of(error.nodes[0]) if error.nodes else None
        expected = re.search(r"Expected value of type '([^']+)'|^(\w+!?) cannot represent", text)
        if argument and expected:
            owner, name = argument
            value, type_name = print_ast(error.nodes[0]), expected.group(1) or expected.group(2)
            return (
                f"Argument '{name}' on Field '{owner}' has an invalid value ({value}). Expected type '{type_name}'.",
                {"code": "argumentLiteralsIncompatible", "typeName": "Field", "argumentName": name},
            )
        return text, {"code": "argumentLiteralsIncompatible"}
    code = rule.removesuffix("Rule")
    return text, {"code": code[0].lower() + code[1:]}


def _operation_label(name: str | None, error: GraphQLError, paths: _DocumentPaths) -> str:
    if name:
        return name
    operation = paths.operation_of(error.nodes[0]) if error.nodes else None
    kind = operation.operation.value if isinstance(operation, OperationDefinitionNode) else "query"
    return f"anonymous {kind}"


def _missing_arguments(errors: list[GraphQLError], paths: _DocumentPaths) -> list[Formatted]:
    """graphql-ruby reports all missing arguments of a field in one error."""
    grouped: dict[int, tuple[GraphQLError, str, str, list[str]]] = {}
    for error in errors:
        match = re.match(r"Argument '(@?)(\w+)(?:\.(\w+))?\((\w+):\)'", error.message)
        if not match or not error.nodes:
            continue
        is_directive, owner, field, argument = match.groups()
        kind, name = ("Directive", owner) if is_directive else ("Field", field or owner)
        entry = grouped.setdefault(id(error.nodes[0]), (error, kind, name, []))
        entry[3].append(argument)
    found = []
    for error, kind, name, arguments in grouped.values():
        formatted: Formatted = {
            "message": f"{kind} '{name}' is missing required arguments: {', '.join(arguments)}",
            "locations": _locations(error),
        }
        node_path = paths.of(error.nodes[0]) if error.nodes else None
        if node_path:
            formatted["path"] = node_path
        formatted["extensions"] = {
            "code": "missingRequiredArguments",
            "className": kind,
            "name": name,
            "arguments": ", ".join(arguments),
        }
        found.append(formatted)
    return found


class _DocumentPaths:
    """Where each node sits in the document, as graphql-ruby names it: ["query Q", "orders", "first"]."""

    def __init__(self, document: DocumentNode) -> None:
        self._paths: dict[int, list[str]] = {}
        self._operations: dict[int, Node] = {}
        self._variables: dict[int, str] = {}
        self._arguments: dict[int, tuple[str, str]] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                kind = definition.operation.value
                label = f"{kind} {definition.name.value}" if definition.name else kind
                self._paths[id(definition)] = [label]
                for variable in definition.variable_definitions or ():
                    self._paths[id(variable)] = [label]
                    self._mark_variable_type(variable.type, variable.variable.name.value)
                self._walk(definition.selection_set, [label], definition)
            elif isinstance(definition, FragmentDefinitionNode):
                label = f"fragment {definition.name.value}"
                self._paths[id(definition)] = [label]
                self._walk(definition.selection_set, [label], definition)

    def _mark_variable_type(self, type_node: Any, variable: str) -> None:
        self._variables[id(type_node)] = variable
        inner = getattr(type_node, "type", None)
        if inner is not None:
            self._mark_variable_type(inner, variable)

    def _walk(self, selection_set: SelectionSetNode | None, prefix: list[str], operation: Node) -> None:
        for selection in selection_set.selections if selection_set else ():
            self._operations[id(selection)] = operation
            if isinstance(selection, FieldNode):
                name = selection.alias.value if selection.alias else selection.name.value
                here = [*prefix, name]
                self._paths[id(selection)] = here
                for argument in selection.arguments or ():
                    self._paths[id(argument)] = [*here, argument.name.value]
                    self._mark_value(
                        argument.value, [*here, argument.name.value], (selection.name.value, argument.name.value)
                    )
                for directive in selection.directives or ():
                    self._paths[id(directive)] = here
                self._walk(selection.selection_set, here, operation)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else ""
                here = [*prefix, f"... on {condition}" if condition else "..."]
                self._paths[id(selection)] = here
                if selection.type_condition:
                    self._paths[id(selection.type_condition)] = here
                self._walk(selection.selection_set, here, operation)
            elif isinstance(selection, FragmentSpreadNode):
                self._paths[id(selection)] = [*prefix, f"... {selection.name.value}"]

    def _mark_value(self, value: Any, here: list[str], argument: tuple[str, str]) -> None:
        self._paths.setdefault(id(value), here)
        self._arguments[id(value)] = argument
        if isinstance(value, ObjectValueNode):
            for field in value.fields:
                self._mark_value(field.value, [*here, field.name.value], argument)
        elif isinstance(value, ListValueNode):
            for entry in value.values:
                self._mark_value(entry, here, argument)

    def of(self, node: Node) -> list[str] | None:
        return self._paths.get(id(node))

    def operation_of(self, node: Node) -> Node | None:
        return self._operations.get(id(node))

    def variable_of(self, node: Node) -> str | None:
        return self._variables.get(id(node))

    def argument_of(self, node: Node) -> tuple[str, str] | None:
        return self._arguments.get(id(node))


# --- variable errors ---


def variable_errors(
    errors: list[GraphQLError], operation: OperationDefinitionNode, variables: dict[str, Any]
) -> list[Formatted]:
    """`Variable $id of type ID! was provided invalid value`, with the value and the problems found in it."""
    types = {d.variable.name.value: _type_text(d.type) for d in operation.variable_definitions or ()}
    found = []
    for error in errors:
        formatted: Formatted = {"message": error.message, "locations": _locations(error)}
        match = re.match(r"Variable '\$(\w+)' has invalid value(?: at ([^:]+))?: (.*)$", error.message, re.S)
        if match:
            name, where, explanation = match.groups()
            problem_path: list[str | int] = [int(p) if p.isdigit() else p for p in re.findall(r"\w+", where or "")]
            explanation, extra = _ruby_explanation(explanation)
            problem_path += extra
            message = f"Variable ${name} of type {types.get(name, '?')} was provided invalid value"
            if problem_path:
                message += f" for {'.'.join(str(p) for p in problem_path)} ({explanation})"
            formatted["message"] = message
            formatted["extensions"] = {
                "value": variables.get(name),
                "problems": [{"path": problem_path, "explanation": explanation}],
            }
        found.append(formatted)
    return found


def _ruby_explanation(text_value: str) -> tuple[str, list[str | int]]:
    """graphql-ruby's wording of a coercion problem, and path parts it adds (the missing or unknown field)."""
    if text_value.startswith("Expected a value of non-null type"):
        return "Expected value to not be null", []
    if match := re.match(r"(\w+) cannot represent [^:]*: (.*)$", text_value, re.S):
        return f"Could not coerce value {match.group(2)} to {match.group(1)}", []
    if match := re.match(r"Expected value of type '(\w+)' to include required field '(\w+)'", text_value):
        return "Expected value to not be null", [match.group(2)]
    if match := re.match(r"Expected value of type '(\w+)' not to include unknown field '(\w+)'", text_value):
        return f"Field is not defined on {match.group(1)}", [match.group(2)]
    if match := re.match(r"Expected value of type '(\w+)', but encountered error", text_value):
        return f"Could not coerce value to {match.group(1)}", []
    return text_value.rstrip("."), []


def _type_text(type_node: Any) -> str:
    return print_ast(type_node)
