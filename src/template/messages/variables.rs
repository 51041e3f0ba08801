//! The variables (`{ $name }`) a Fluent pattern reads: in its placeables, its selectors, their
//! variants and the arguments of its functions (`NUMBER($n)`), each once.

use fluent_syntax::ast::{Expression, InlineExpression, Pattern, PatternElement};

pub fn of_pattern<'s>(pattern: &Pattern<&'s str>, out: &mut Vec<&'s str>) {
    for element in &pattern.elements {
        if let PatternElement::Placeable { expression } = element {
            of_expression(expression, out);
        }
    }
}

fn of_expression<'s>(e: &Expression<&'s str>, out: &mut Vec<&'s str>) {
    match e {
        Expression::Select { selector, variants } => {
            of_inline(selector, out);
            for v in variants {
                of_pattern(&v.value, out);
            }
        }
        Expression::Inline(i) => of_inline(i, out),
    }
}

fn of_inline<'s>(e: &InlineExpression<&'s str>, out: &mut Vec<&'s str>) {
    match e {
        InlineExpression::VariableReference { id } if !out.contains(&id.name) => out.push(id.name),
        InlineExpression::FunctionReference { arguments, .. } => {
            for a in &arguments.positional {
                of_inline(a, out);
            }
            for a in &arguments.named {
                of_inline(&a.value, out);
            }
        }
        InlineExpression::Placeable { expression } => of_expression(expression, out),
        // Literals, and references to messages and terms (a term's variables are its own
        // arguments; a message's are checked where it is called).
        _ => {}
    }
}
