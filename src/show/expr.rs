//! Expressions typed on the command line, such as
//! `n = x1*w1 + x2*w2 + b; o = tanh(n)`: parsed, then built into engine values.
//!
//! Syntax: `+ - * /`, `**` (a number as exponent is micrograd's power; any
//! other exponent is a value with a grad of its own), unary minus, parentheses,
//! number literals, the functions `tanh relu exp log sigmoid` (also as methods:
//! `(a + b).relu()`), and `;`-separated statements. A statement `name = expr`
//! (or `+= -= *= /=`) names its value; the output is the last statement.

use std::collections::HashMap;
use std::fmt;

use crate::engine::Value;
use crate::show::trace::Trace;

/// A parse or build error, pointing at a column of the expression.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    pub message: String,
    /// Byte offset into the expression.
    pub offset: usize,
    pub source: String,
    /// The variable with no value, when that is what is wrong: a caller
    /// can say how to give it one.
    pub unbound: Option<String>,
}

impl fmt::Display for ExprError {
    /// `message at column N`, then the expression and a caret under that column.
    /// A long expression is shown as a window of it around the caret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chars: Vec<char> = self.source.chars().collect();
        let column = self.source[..self.offset].chars().count();
        writeln!(f, "{} at column {}", self.message, column + 1)?;
        let start = column.saturating_sub(WINDOW / 2);
        let end = (start + WINDOW).min(chars.len());
        let start = end.saturating_sub(WINDOW).min(start);
        let shown: String = chars[start..end]
            .iter()
            // a newline or tab in the window would move the caret
            .map(|&c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        let (before, after) = (
            if start > 0 { "…" } else { "" },
            if end < chars.len() { "…" } else { "" },
        );
        writeln!(f, "  {before}{shown}{after}")?;
        write!(
            f,
            "  {}{}^",
            " ".repeat(before.chars().count()),
            " ".repeat(column - start)
        )
    }
}

impl std::error::Error for ExprError {}

/// How many characters of an expression an error shows around its caret.
const WINDOW: usize = 60;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Function {
    Tanh,
    Relu,
    Exp,
    Log,
    Sigmoid,
}

impl Function {
    const ALL: [(&'static str, Function); 5] = [
        ("tanh", Function::Tanh),
        ("relu", Function::Relu),
        ("exp", Function::Exp),
        ("log", Function::Log),
        ("sigmoid", Function::Sigmoid),
    ];

    fn from_name(name: &str) -> Option<Function> {
        Function::ALL
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, function)| *function)
    }

    fn apply(self, x: &Value) -> Value {
        match self {
            Function::Tanh => x.tanh(),
            Function::Relu => x.relu(),
            Function::Exp => x.exp(),
            Function::Log => x.log(),
            Function::Sigmoid => x.sigmoid(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// Index of an expression in `Program::exprs`.
pub type ExprId = usize;

/// A parsed expression; `start..end` is its text in the source. Expressions
/// live in one array, each after its operands, so that nothing recurses over
/// them: building walks the array, and dropping it is flat.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Variable(String),
    Negate(ExprId),
    Binary(BinaryOp, ExprId, ExprId),
    /// `base ** n` for a number `n`, micrograd's power.
    Power(ExprId, f64),
    /// `base ** exponent` where the exponent is an expression.
    PowerValue(ExprId, ExprId),
    Call(Function, ExprId),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// The name assigned to, and the operator for `+=` and the like.
    pub target: Option<(String, Option<BinaryOp>)>,
    pub expr: ExprId,
}

/// A parsed program: statements separated by `;`.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub source: String,
    pub exprs: Vec<Expr>,
    pub statements: Vec<Statement>,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    Ident(String),
    /// One of `+ - * / ** ( ) ; = += -= *= /= . ,`
    Symbol(&'static str),
    End,
}

const SYMBOLS: [&str; 14] = [
    "**", "+=", "-=", "*=", "/=", "+", "-", "*", "/", "(", ")", ";", "=", ".",
];

/// Splits `source` into tokens, each with its start and end byte offsets.
fn tokenize(source: &str) -> Result<Vec<(Token, usize, usize)>, ExprError> {
    let error = |message: String, offset| ExprError {
        message,
        offset,
        source: source.to_string(),
        unbound: None,
    };
    let mut tokens = Vec::new();
    let mut rest = source;
    loop {
        let trimmed = rest.trim_start();
        let offset = source.len() - trimmed.len();
        rest = trimmed;
        let Some(first) = rest.chars().next() else {
            tokens.push((Token::End, offset, offset));
            return Ok(tokens);
        };
        if first.is_ascii_digit()
            || (first == '.' && rest[1..].starts_with(|c: char| c.is_ascii_digit()))
        {
            let mut len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            // an exponent: 1e-3, 2.5E+4
            if rest[len..].starts_with(['e', 'E']) {
                let after = &rest[len + 1..];
                let sign = usize::from(after.starts_with(['+', '-']));
                let digits = after[sign..]
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(after.len() - sign);
                if digits > 0 {
                    len += 1 + sign + digits;
                }
            }
            let text = &rest[..len];
            let number = text
                .parse()
                .map_err(|_| error(format!("`{text}` is not a number"), offset))?;
            tokens.push((Token::Number(number), offset, offset + len));
            rest = &rest[len..];
        } else if first.is_alphabetic() || first == '_' {
            let len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            tokens.push((Token::Ident(rest[..len].to_string()), offset, offset + len));
            rest = &rest[len..];
        } else if let Some(symbol) = SYMBOLS.iter().find(|symbol| rest.starts_with(**symbol)) {
            tokens.push((Token::Symbol(symbol), offset, offset + symbol.len()));
            rest = &rest[symbol.len()..];
        } else {
            return Err(error(format!("unexpected character `{first}`"), offset));
        }
    }
}

/// How deeply parentheses, calls and unary minus may nest: the parser recurses on them.
const MAX_NESTING: usize = 200;

struct Parser<'a> {
    source: &'a str,
    tokens: Vec<(Token, usize, usize)>,
    position: usize,
    exprs: Vec<Expr>,
    nesting: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.position].0
    }

    fn offset(&self) -> usize {
        self.tokens[self.position].1
    }

    /// Where the previous token ended, for spans.
    fn end_of_previous(&self) -> usize {
        self.tokens[self.position - 1].2
    }

    fn push(&mut self, kind: ExprKind, start: usize, end: usize) -> ExprId {
        self.exprs.push(Expr { kind, start, end });
        self.exprs.len() - 1
    }

    /// Runs `parse` one level deeper, refusing to go past `MAX_NESTING`.
    fn nested(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<ExprId, ExprError>,
    ) -> Result<ExprId, ExprError> {
        if self.nesting == MAX_NESTING {
            return Err(self.error(format!("nested more than {MAX_NESTING} levels deep")));
        }
        self.nesting += 1;
        let result = parse(self);
        self.nesting -= 1;
        result
    }

    fn advance(&mut self) -> Token {
        let token = self.tokens[self.position].0.clone();
        if token != Token::End {
            self.position += 1;
        }
        token
    }

    fn eat(&mut self, symbol: &str) -> bool {
        if matches!(self.peek(), Token::Symbol(next) if *next == symbol) {
            self.position += 1;
            return true;
        }
        false
    }

    fn error(&self, message: impl Into<String>) -> ExprError {
        ExprError {
            message: message.into(),
            offset: self.offset(),
            source: self.source.to_string(),
            unbound: None,
        }
    }

    /// What the current token is, for error messages.
    fn describe(&self) -> String {
        match self.peek() {
            Token::Number(number) => format!("the number {number}"),
            Token::Ident(name) => format!("`{name}`"),
            Token::Symbol(symbol) => format!("`{symbol}`"),
            Token::End => "the end".to_string(),
        }
    }

    fn expect(&mut self, symbol: &str, context: &str) -> Result<(), ExprError> {
        if self.eat(symbol) {
            return Ok(());
        }
        Err(self.error(format!(
            "expected `{symbol}` {context}, found {}",
            self.describe()
        )))
    }

    fn program(&mut self) -> Result<Vec<Statement>, ExprError> {
        let mut statements = Vec::new();
        loop {
            while self.eat(";") {}
            if *self.peek() == Token::End {
                break;
            }
            statements.push(self.statement()?);
            if *self.peek() != Token::End && !self.eat(";") {
                return Err(self.error(format!(
                    "expected an operator or `;`, found {}",
                    self.describe()
                )));
            }
        }
        if statements.is_empty() {
            return Err(self.error("the expression is empty"));
        }
        Ok(statements)
    }

    fn statement(&mut self) -> Result<Statement, ExprError> {
        if let Token::Ident(name) = self.peek().clone() {
            let assignment = match self.tokens.get(self.position + 1).map(|(token, ..)| token) {
                Some(Token::Symbol("=")) => Some(None),
                Some(Token::Symbol("+=")) => Some(Some(BinaryOp::Add)),
                Some(Token::Symbol("-=")) => Some(Some(BinaryOp::Sub)),
                Some(Token::Symbol("*=")) => Some(Some(BinaryOp::Mul)),
                Some(Token::Symbol("/=")) => Some(Some(BinaryOp::Div)),
                _ => None,
            };
            if let Some(op) = assignment {
                if Function::from_name(&name).is_some() {
                    return Err(
                        self.error(format!("`{name}` is a function and cannot be assigned to"))
                    );
                }
                self.position += 2;
                let expr = self.expr()?;
                return Ok(Statement {
                    target: Some((name, op)),
                    expr,
                });
            }
        }
        Ok(Statement {
            target: None,
            expr: self.expr()?,
        })
    }

    fn expr(&mut self) -> Result<ExprId, ExprError> {
        self.binary_chain([("+", BinaryOp::Add), ("-", BinaryOp::Sub)], Self::term)
    }

    fn term(&mut self) -> Result<ExprId, ExprError> {
        self.binary_chain([("*", BinaryOp::Mul), ("/", BinaryOp::Div)], Self::unary)
    }

    /// `next (op next)*` for the operators in `ops`, grouped to the left.
    fn binary_chain(
        &mut self,
        ops: [(&str, BinaryOp); 2],
        next: fn(&mut Self) -> Result<ExprId, ExprError>,
    ) -> Result<ExprId, ExprError> {
        let start = self.offset();
        let mut lhs = next(self)?;
        // `eat` consumes the first operator that matches
        while let Some(&(_, op)) = ops.iter().find(|(symbol, _)| self.eat(symbol)) {
            let rhs = next(self)?;
            let end = self.exprs[rhs].end;
            lhs = self.push(ExprKind::Binary(op, lhs, rhs), start, end);
        }
        Ok(lhs)
    }

    /// Unary minus binds looser than `**`, as in Python: `-x**2` is `-(x**2)`.
    fn unary(&mut self) -> Result<ExprId, ExprError> {
        let start = self.offset();
        if self.eat("-") {
            let operand = self.nested(Self::unary)?;
            let end = self.exprs[operand].end;
            return Ok(self.push(ExprKind::Negate(operand), start, end));
        }
        self.power()
    }

    /// `base ** exponent`, right to left as in Python: `a ** b ** c` is
    /// `a ** (b ** c)`. A plain number as exponent (maybe negative, maybe in
    /// parentheses) is micrograd's power by a constant; anything else is a
    /// value, which gets a grad too.
    fn power(&mut self) -> Result<ExprId, ExprError> {
        let start = self.offset();
        let base = self.postfix()?;
        if !self.eat("**") {
            return Ok(base);
        }
        let exponent_at = self.position;
        if let Some(exponent) = self.exponent()
            && *self.peek() != Token::Symbol("**")
        {
            let end = self.end_of_previous();
            return Ok(self.push(ExprKind::Power(base, exponent), start, end));
        }
        self.position = exponent_at;
        let exponent = self.nested(Self::unary)?;
        let end = self.exprs[exponent].end;
        Ok(self.push(ExprKind::PowerValue(base, exponent), start, end))
    }

    /// The exponent of `**` when it is a plain number, maybe negative, maybe
    /// in parentheses; `None` when it is anything else.
    fn exponent(&mut self) -> Option<f64> {
        let parenthesised = self.eat("(");
        let negative = self.eat("-");
        let Token::Number(number) = self.peek().clone() else {
            return None;
        };
        self.position += 1;
        if parenthesised && !self.eat(")") {
            return None;
        }
        Some(if negative { -number } else { number })
    }

    /// A primary followed by method calls: `(a + b).relu()`.
    fn postfix(&mut self) -> Result<ExprId, ExprError> {
        let start = self.offset();
        let mut expr = self.primary()?;
        while self.eat(".") {
            let name_offset = self.offset();
            let Token::Ident(name) = self.advance() else {
                self.position -= 1;
                return Err(self.error(format!(
                    "expected a function name after `.`, found {}",
                    self.describe()
                )));
            };
            let Some(function) = Function::from_name(&name) else {
                return Err(ExprError {
                    message: format!(
                        "unknown function `{name}` (known: tanh, relu, exp, log, sigmoid)"
                    ),
                    offset: name_offset,
                    source: self.source.to_string(),
                    unbound: None,
                });
            };
            self.expect("(", &format!("after `.{name}`"))?;
            self.expect(")", &format!("after `.{name}(`: methods take no arguments"))?;
            let end = self.end_of_previous();
            expr = self.push(ExprKind::Call(function, expr), start, end);
        }
        Ok(expr)
    }

    fn primary(&mut self) -> Result<ExprId, ExprError> {
        let start = self.offset();
        match self.peek().clone() {
            Token::Number(number) => {
                self.position += 1;
                let end = self.end_of_previous();
                Ok(self.push(ExprKind::Number(number), start, end))
            }
            Token::Ident(name) => {
                self.position += 1;
                let Some(function) = Function::from_name(&name) else {
                    if *self.peek() == Token::Symbol("(") {
                        self.position -= 1;
                        let known: Vec<&str> =
                            Function::ALL.iter().map(|(name, _)| *name).collect();
                        return Err(self.error(format!(
                            "unknown function `{name}`: the functions are {}",
                            known.join(", ")
                        )));
                    }
                    let end = self.end_of_previous();
                    return Ok(self.push(ExprKind::Variable(name), start, end));
                };
                self.expect("(", &format!("after the function `{name}`"))?;
                let argument = self.nested(Self::expr)?;
                self.expect(")", &format!("to close `{name}(`"))?;
                let end = self.end_of_previous();
                Ok(self.push(ExprKind::Call(function, argument), start, end))
            }
            Token::Symbol("(") => {
                self.position += 1;
                let inner = self.nested(Self::expr)?;
                self.expect(")", "to close `(`")?;
                // the parenthesised text names the node: `(a + b)`
                let end = self.end_of_previous();
                self.exprs[inner].start = start;
                self.exprs[inner].end = end;
                Ok(inner)
            }
            _ => Err(self.error(format!(
                "expected a number, a name or `(`, found {}",
                self.describe()
            ))),
        }
    }
}

/// Parses `source` into statements.
pub fn parse(source: &str) -> Result<Program, ExprError> {
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        source,
        tokens,
        position: 0,
        exprs: Vec::new(),
        nesting: 0,
    };
    let statements = parser.program()?;
    Ok(Program {
        source: source.to_string(),
        exprs: parser.exprs,
        statements,
    })
}

/// A program built into values: the output, and a name for every node made.
pub struct Built {
    pub output: Value,
    /// For each node id: its name, from an assignment or a variable, or else the
    /// source text that made it (`x1*w1`).
    pub names: HashMap<usize, String>,
    /// Every value built, so that all stay alive while the caller looks at them.
    pub values: Vec<Value>,
}

impl Built {
    /// Backward from the output, and its trace with each node's name (a
    /// node nothing named is `#id`): what every view of an expression shows.
    pub fn backward_and_trace(&self) -> (Trace, Vec<String>) {
        self.output.backward();
        let trace = Trace::new(&self.output);
        let names = trace
            .nodes
            .iter()
            .map(|node| {
                self.names
                    .get(&node.id())
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", node.id()))
            })
            .collect();
        (trace, names)
    }
}

impl Program {
    /// Builds the program's values. Each variable becomes one leaf labelled with its
    /// name, made on first use; `values` gives each variable's number.
    pub fn build(&self, values: &[(String, f64)]) -> Result<Built, ExprError> {
        let mut builder = Builder {
            program: self,
            inputs: values,
            bound: HashMap::new(),
            built: Built {
                output: Value::leaf(0.0),
                names: HashMap::new(),
                values: Vec::new(),
            },
        };
        let mut output = None;
        let mut first = 0;
        for statement in &self.statements {
            let mut value = builder.exprs(first, statement.expr)?;
            first = statement.expr + 1;
            if let Some((name, op)) = &statement.target {
                if let Some(op) = op {
                    let Some(current) = builder.bound.get(name).cloned() else {
                        return Err(builder.error(
                            format!("`{name}` has no value yet to update"),
                            self.exprs[statement.expr].start,
                        ));
                    };
                    value = apply(*op, &current, &value);
                }
                // A fresh node takes the name; an existing one (`y = x`) keeps its own.
                if value.label().is_none() {
                    value.set_label(name.clone());
                }
                builder.built.names.insert(value.id(), name.clone());
                builder.bound.insert(name.clone(), value.clone());
                builder.built.values.push(value.clone());
            }
            output = Some(value);
        }
        if let Some((name, _)) = values
            .iter()
            .find(|(name, _)| !builder.bound.contains_key(name))
        {
            return Err(builder.error(
                format!("`{name}` is set but the expression does not use it"),
                0,
            ));
        }
        let mut built = builder.built;
        built.output = output.expect("a parsed program has a statement");
        Ok(built)
    }
}

/// A node's source text as its name, cut to `MAX_NAME` characters: a long
/// sum's partial sums would otherwise take memory quadratic in its length.
fn short_name(text: &str) -> String {
    const MAX_NAME: usize = 40;
    let text = text.trim();
    let mut name: String = text.chars().take(MAX_NAME).collect();
    if name.len() < text.len() {
        name.pop();
        name.push('…');
    }
    name
}

fn apply(op: BinaryOp, lhs: &Value, rhs: &Value) -> Value {
    match op {
        BinaryOp::Add => lhs + rhs,
        BinaryOp::Sub => lhs - rhs,
        BinaryOp::Mul => lhs * rhs,
        BinaryOp::Div => lhs / rhs,
    }
}

struct Builder<'a> {
    program: &'a Program,
    inputs: &'a [(String, f64)],
    /// Names with a value: assigned ones and the variables used so far.
    bound: HashMap<String, Value>,
    built: Built,
}

impl Builder<'_> {
    fn error(&self, message: String, offset: usize) -> ExprError {
        ExprError {
            message,
            offset,
            source: self.program.source.clone(),
            unbound: None,
        }
    }

    /// Builds the expressions `first..=root`, which are one statement's, in order:
    /// each expression's operands come before it.
    fn exprs(&mut self, first: ExprId, root: ExprId) -> Result<Value, ExprError> {
        let mut values: Vec<Value> = Vec::with_capacity(root + 1 - first);
        for expr in &self.program.exprs[first..=root] {
            let operand = |id: ExprId| &values[id - first];
            let value = match &expr.kind {
                ExprKind::Number(number) => Value::leaf(*number),
                ExprKind::Variable(name) => {
                    let value = self.variable(name, expr.start)?;
                    values.push(value);
                    continue;
                }
                ExprKind::Negate(a) => -operand(*a),
                ExprKind::Binary(op, a, b) => apply(*op, operand(*a), operand(*b)),
                ExprKind::Power(base, exponent) => operand(*base).pow(*exponent),
                ExprKind::PowerValue(base, exponent) => {
                    operand(*base).pow_value(operand(*exponent))
                }
                ExprKind::Call(function, argument) => function.apply(operand(*argument)),
            };
            let text = &self.program.source[expr.start..expr.end];
            self.built
                .names
                .entry(value.id())
                .or_insert_with(|| short_name(text));
            self.built.values.push(value.clone());
            values.push(value);
        }
        Ok(values.pop().expect("a statement has an expression"))
    }

    fn variable(&mut self, name: &str, offset: usize) -> Result<Value, ExprError> {
        if let Some(value) = self.bound.get(name) {
            return Ok(value.clone());
        }
        let Some((_, number)) = self.inputs.iter().rev().find(|(input, _)| input == name) else {
            return Err(ExprError {
                unbound: Some(name.to_string()),
                ..self.error(format!("`{name}` has no value"), offset)
            });
        };
        let value = Value::with_label(*number, name);
        self.built.names.insert(value.id(), name.to_string());
        self.bound.insert(name.to_string(), value.clone());
        self.built.values.push(value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(source: &str, values: &[(&str, f64)]) -> f64 {
        let values: Vec<(String, f64)> = values
            .iter()
            .map(|(name, v)| (name.to_string(), *v))
            .collect();
        parse(source)
            .expect("parses")
            .build(&values)
            .expect("builds")
            .output
            .data()
    }

    fn parse_error(source: &str) -> ExprError {
        parse(source).expect_err("does not parse")
    }

    #[test]
    fn precedence_follows_python() {
        assert_eq!(eval("1 + 2 * 3", &[]), 7.0);
        assert_eq!(eval("(1 + 2) * 3", &[]), 9.0);
        assert_eq!(eval("8 / 4 / 2", &[]), 1.0);
        assert_eq!(eval("10 - 4 - 3", &[]), 3.0);
        assert_eq!(eval("-3 ** 2", &[]), -9.0);
        assert_eq!(eval("(-3) ** 2", &[]), 9.0);
        assert_eq!(eval("2 ** -1", &[]), 0.5);
        // an exponent that is not a plain number is a value, right to left
        assert_eq!(eval("2 ** (1 + 2)", &[]), 8.0);
        assert_eq!(eval("2 ** 3 ** 2", &[]), 512.0);
        assert_eq!(eval("x ** y", &[("x", 3.0), ("y", 2.0)]), 9.0);
        assert_eq!(eval("x ** -y", &[("x", 2.0), ("y", 1.0)]), 0.5);
        assert_eq!(eval("2 * 3 ** 2", &[]), 18.0);
        assert_eq!(eval("--2", &[]), 2.0);
        assert_eq!(eval("-x * 2", &[("x", 3.0)]), -6.0);
        assert_eq!(eval("1.5e1 + .5", &[]), 15.5);
    }

    #[test]
    fn functions_methods_and_statements() {
        assert_eq!(eval("relu(-2) + (0 - 3).relu() + relu(4)", &[]), 4.0);
        assert_eq!(eval("tanh(0) + exp(0) + log(1) + sigmoid(0)", &[]), 1.5);
        assert_eq!(eval("n = x*2; o = n + 1", &[("x", 3.0)]), 7.0);
        assert_eq!(eval("c = 1; c += c + 1; c *= 2", &[]), 6.0);
        assert_eq!(eval("a = 2; a; a * 5", &[]), 10.0);
    }

    #[test]
    fn assignments_label_their_nodes_and_variables_are_leaves() {
        let program = parse("n = x1*w1 + b; o = tanh(n)").expect("parses");
        let values = vec![
            ("x1".to_string(), 2.0),
            ("w1".to_string(), -3.0),
            ("b".to_string(), 1.0),
        ];
        let built = program.build(&values).expect("builds");
        assert_eq!(built.output.label().as_deref(), Some("o"));
        let n = &built.output.inputs()[0];
        assert_eq!(n.label().as_deref(), Some("n"));
        let product = &n.inputs()[0];
        assert_eq!(product.label(), None);
        assert_eq!(built.names[&product.id()], "x1*w1");
        let x1 = &product.inputs()[0];
        assert_eq!((x1.label().as_deref(), x1.is_leaf()), (Some("x1"), true));
    }

    #[test]
    fn a_variable_used_twice_is_one_leaf() {
        let program = parse("x * x").expect("parses");
        let built = program.build(&[("x".to_string(), 3.0)]).expect("builds");
        built.output.backward();
        let inputs = built.output.inputs();
        assert_eq!(inputs[0].id(), inputs[1].id());
        assert_eq!(inputs[0].grad(), 6.0);
    }

    #[test]
    fn errors_point_at_the_column() {
        let error = parse_error("x1 * * w1");
        assert_eq!(error.offset, 5);
        assert_eq!(
            error.to_string(),
            "expected a number, a name or `(`, found `*` at column 6\n  x1 * * w1\n       ^"
        );
        assert_eq!(parse_error("tanh(x").offset, 6);
        assert!(parse_error("tanh(x").message.contains("to close `tanh(`"));
        assert_eq!(parse_error("2 $ 3").offset, 2);
        assert_eq!(parse_error("x y").offset, 2);
        assert_eq!(parse_error("x.foo()").offset, 2);
        assert_eq!(parse_error("").message, "the expression is empty");
        assert_eq!(parse_error("tanh = 2").offset, 0);
        let deep = format!("{}x{}", "(".repeat(500), ")".repeat(500));
        assert!(
            parse_error(&deep)
                .message
                .contains("nested more than 200 levels")
        );
        assert!(
            parse_error(&"-".repeat(100_000))
                .message
                .contains("nested more than")
        );
    }

    /// Nothing recurses over a long expression: 200,000 terms build and drop.
    #[test]
    fn long_expressions_do_not_recurse() {
        let source = vec!["x"; 200_000].join(" + ");
        let built = parse(&source)
            .expect("parses")
            .build(&[("x".to_string(), 1.0)])
            .expect("builds");
        assert_eq!(built.output.data(), 200_000.0);
    }

    #[test]
    fn build_errors_name_the_variable() {
        let program = parse("a + bb").expect("parses");
        let error = program
            .build(&[("a".to_string(), 1.0)])
            .err()
            .expect("bb is unset");
        assert_eq!(error.offset, 4);
        assert_eq!(error.message, "`bb` has no value");
        assert_eq!(error.unbound.as_deref(), Some("bb"));
        let error = parse("a")
            .expect("parses")
            .build(&[("a".to_string(), 1.0), ("z".to_string(), 2.0)]);
        assert!(
            error
                .err()
                .expect("z is unused")
                .message
                .contains("`z` is set but")
        );
        let error = parse("c += 1").expect("parses").build(&[]);
        assert!(
            error
                .err()
                .expect("c is unbound")
                .message
                .contains("no value yet")
        );
    }
}
