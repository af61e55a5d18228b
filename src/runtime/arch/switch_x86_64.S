/* cafe__ctx_switch(cafe__ctx_t *from, cafe__ctx_t *to) for x86-64 System V.
 * Saves the callee-saved registers, MXCSR and the x87 control word on the current stack,
 * stores the stack pointer in from->sp and loads to->sp. The frame layout (from the saved
 * sp up) must match cafe__ctx_make in ctx.c:
 *   +0 mxcsr (4 bytes), x87 cw (2 bytes)   +8 r15  +16 r14  +24 r13  +32 r12
 *   +40 rbx  +48 rbp  +56 return address */
    .text
    .globl cafe__ctx_switch
    .hidden cafe__ctx_switch
    .type cafe__ctx_switch, @function
cafe__ctx_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq (%rsi), %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size cafe__ctx_switch, .-cafe__ctx_switch

/* First code run on a new stack: entry (r13) is called with arg (r12). entry never
 * returns; if it did, ud2 stops the process at once. */
    .globl cafe__ctx_trampoline
    .hidden cafe__ctx_trampoline
    .type cafe__ctx_trampoline, @function
cafe__ctx_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size cafe__ctx_trampoline, .-cafe__ctx_trampoline

    .section .note.GNU-stack,"",@progbits
