/* principal_re_exec.c - the backtracking matcher for programs compiled
 * by principal_re.c (instruction set described there).
 *
 * State: pc, position, capture slots and loop registers; the backtrack
 * stack holds branches still to try and, interleaved, the old values of
 * slots and registers written since (undone when backtracking passes
 * them), so a failed path leaves no trace. Every executed instruction
 * costs one unit of budget; the stack is capped at JRE_STACK_MAX frames.
 * Both limits fail the match with -ELOOP: a pattern that would backtrack
 * exponentially (Java would hang) fails closed here.
 */
#include "auth/principal_re_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define JRE_STACK_MAX (1u << 18) /* backtrack frames, 4 MiB */

enum { F_BRANCH, F_CAP, F_REG };

struct jre_frame {
	int kind, a;
	long b;
};

struct jre_vm {
	const struct jre *re;
	const unsigned char *s;
	size_t len;
	long caps[2 * (JRE_MAX_GROUPS + 1)];
	long *regs;
	struct jre_frame *stack;
	size_t nstack, capstack;
};

static bool vm_push(struct jre_vm *vm, int kind, int a, long b)
{
	if (vm->nstack == vm->capstack) {
		size_t cap = vm->capstack ? vm->capstack * 2 : 64;
		struct jre_frame *n;

		if (cap > JRE_STACK_MAX)
			return false;
		n = realloc(vm->stack, cap * sizeof(*n));
		if (!n)
			return false;
		vm->stack = n;
		vm->capstack = cap;
	}
	vm->stack[vm->nstack++] = (struct jre_frame){kind, a, b};
	return true;
}

static bool vm_class(const struct jre *re, int k, uint32_t c, bool icase)
{
	const struct jre_class *cl = &re->classes[k];
	const uint32_t *r = re->ranges + cl->off;
	uint32_t alt = icase ? jre_swapcase(c) : c;
	bool in = false;

	for (size_t i = 0; i < cl->n && !in; i++)
		in = (c >= r[2 * i] && c <= r[2 * i + 1]) ||
		     (alt >= r[2 * i] && alt <= r[2 * i + 1]);
	return in != cl->neg;
}

/* The code point before position i (0 at the start). */
static uint32_t vm_prev(const struct jre_vm *vm, size_t i)
{
	size_t j = i, adv;

	if (i == 0)
		return 0;
	while (j > 0 && i - j < 4 && (vm->s[j - 1] & 0xc0) == 0x80)
		j--;
	j = j > 0 ? j - 1 : 0;
	return jre_decode(vm->s + j, vm->len - j, &adv);
}

static bool vm_eol(const struct jre_vm *vm, size_t i, bool multi)
{
	size_t adv;
	uint32_t c;

	if (i == vm->len)
		return true;
	c = jre_decode(vm->s + i, vm->len - i, &adv);
	if (!jre_is_lineterm(c) || (c == '\n' && vm_prev(vm, i) == '\r'))
		return false;
	if (multi)
		return true;
	/* Not multiline: only before a final terminator (or \r\n). */
	if (c == '\r' && i + 2 == vm->len && vm->s[i + 1] == '\n')
		return true;
	return i + adv == vm->len;
}

static bool vm_assert(const struct jre_vm *vm, int a, size_t i)
{
	uint32_t prev = vm_prev(vm, i), next = 0;
	size_t adv;

	if (i < vm->len)
		next = jre_decode(vm->s + i, vm->len - i, &adv);
	switch (a) {
	case AS_BOL:
	case AS_BOT:
		return i == 0;
	case AS_MBOL:
		return i == 0 || (i < vm->len && jre_is_lineterm(prev) &&
				  !(prev == '\r' && next == '\n'));
	case AS_EOL:
		return vm_eol(vm, i, false);
	case AS_MEOL:
		return vm_eol(vm, i, true);
	case AS_EOT:
		return i == vm->len;
	case AS_WORDB:
	case AS_NWORDB:
		return (jre_is_word(prev) != jre_is_word(next)) ==
		       (a == AS_WORDB);
	}
	return false;
}

static bool vm_backref(const struct jre_vm *vm, const struct jre_inst *in,
		       size_t *sp)
{
	long b = vm->caps[2 * in->x], e = vm->caps[2 * in->x + 1];
	size_t n;

	if (in->x > vm->re->ngroups || b < 0 || e < 0)
		return false;
	n = (size_t)(e - b);
	if (n > vm->len - *sp)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint32_t x = vm->s[b + (long)i], y = vm->s[*sp + i];

		if (x != y && !(in->icase && jre_lower(x) == jre_lower(y)))
			return false;
	}
	*sp += n;
	return true;
}

/* One step: 1 advanced (pc, sp updated), 0 fail, 2 matched, -1 push
 * failed. */
static int vm_step(struct jre_vm *vm, enum jre_mode mode, size_t *pc,
		   size_t *sp)
{
	const struct jre_inst *in = &vm->re->code[*pc];
	size_t adv = 0;
	uint32_t c = 0;

	if (in->op <= OP_CLASS) {
		if (*sp >= vm->len)
			return 0;
		c = jre_decode(vm->s + *sp, vm->len - *sp, &adv);
	}
	switch (in->op) {
	case OP_CHAR:
		if (c != in->c && !(in->icase && jre_lower(c) == in->c))
			return 0;
		break;
	case OP_ANY:
		if (!in->dotall && jre_is_lineterm(c))
			return 0;
		break;
	case OP_CLASS:
		if (!vm_class(vm->re, in->x, c, in->icase))
			return 0;
		break;
	case OP_ASSERT:
		if (!vm_assert(vm, in->x, *sp))
			return 0;
		break;
	case OP_SPLIT:
		if (!vm_push(vm, F_BRANCH, (int)*pc + in->y, (long)*sp))
			return -1;
		*pc += (size_t)(long)in->x;
		return 1;
	case OP_JMP:
		*pc = (size_t)((long)*pc + in->x);
		return 1;
	case OP_SAVE:
		if (!vm_push(vm, F_CAP, in->x, vm->caps[in->x]))
			return -1;
		vm->caps[in->x] = (long)*sp;
		break;
	case OP_MARK:
		if (!vm_push(vm, F_REG, in->x, vm->regs[in->x]))
			return -1;
		vm->regs[in->x] = (long)*sp;
		break;
	case OP_CHECK:
		if (vm->regs[in->x] == (long)*sp)
			return 0;
		break;
	case OP_BACKREF:
		if (!vm_backref(vm, in, sp))
			return 0;
		break;
	case OP_MATCH:
		return mode == JRE_MATCHES && *sp != vm->len ? 0 : 2;
	}
	*sp += adv;
	(*pc)++;
	return 1;
}

/* Backtrack to the newest branch; false when none is left. */
static bool vm_backtrack(struct jre_vm *vm, size_t *pc, size_t *sp)
{
	while (vm->nstack) {
		struct jre_frame f = vm->stack[--vm->nstack];

		if (f.kind == F_CAP) {
			vm->caps[f.a] = f.b;
		} else if (f.kind == F_REG) {
			vm->regs[f.a] = f.b;
		} else {
			*pc = (size_t)f.a;
			*sp = (size_t)f.b;
			return true;
		}
	}
	return false;
}

static int vm_run(struct jre_vm *vm, size_t start, enum jre_mode mode,
		  long *budget)
{
	size_t pc = 0, sp = start;
	int r;

	for (size_t i = 0; i < 2 * (JRE_MAX_GROUPS + 1); i++)
		vm->caps[i] = -1;
	for (int i = 0; i < vm->re->nregs; i++)
		vm->regs[i] = -1;
	vm->nstack = 0;
	for (;;) {
		if (--*budget < 0)
			return -ELOOP;
		r = vm_step(vm, mode, &pc, &sp);
		if (r == 2)
			return 1;
		if (r < 0)
			return -ELOOP;
		if (r == 0 && !vm_backtrack(vm, &pc, &sp))
			return 0;
	}
}

int jre_exec(const struct jre *re, const char *s, size_t len, size_t from,
	     enum jre_mode mode, struct jre_match *m, long *budget)
{
	struct jre_vm vm = {
	    .re = re, .s = (const unsigned char *)s, .len = len};
	size_t adv = 1;
	int r = 0;

	if (from > len)
		return 0;
	vm.regs = calloc((size_t)re->nregs + 1, sizeof(*vm.regs));
	if (!vm.regs)
		return -ENOMEM;
	for (size_t at = from; r == 0 && at <= len; at += adv) {
		r = vm_run(&vm, at, mode, budget);
		if (mode != JRE_FIND || at == len)
			break;
		(void)jre_decode(vm.s + at, len - at, &adv);
	}
	if (r == 1) {
		for (int g = 0; g <= re->ngroups; g++) {
			m->start[g] = vm.caps[2 * g];
			m->end[g] = vm.caps[2 * g + 1];
		}
		for (int g = re->ngroups + 1; g <= JRE_MAX_GROUPS; g++)
			m->start[g] = m->end[g] = -1;
	}
	free(vm.stack);
	free(vm.regs);
	return r;
}
