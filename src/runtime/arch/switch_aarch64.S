/* cafe__ctx_switch(cafe__ctx_t *from, cafe__ctx_t *to) for aarch64 (AAPCS64).
 * Frame (176 bytes, from the saved sp up), matching cafe__ctx_make in ctx.c:
 *   +0 x19..x28 (pairs)  +80 x29, x30  +96 d8..d15  +160 fpcr */
    .text
    .globl cafe__ctx_switch
    .hidden cafe__ctx_switch
    .type cafe__ctx_switch, %function
cafe__ctx_switch:
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mrs x9, fpcr
    str x9, [sp, #160]
    mov x9, sp
    str x9, [x0]
    ldr x9, [x1]
    mov sp, x9
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    ldr x9, [sp, #160]
    msr fpcr, x9
    add sp, sp, #176
    ret
    .size cafe__ctx_switch, .-cafe__ctx_switch

    .globl cafe__ctx_trampoline
    .hidden cafe__ctx_trampoline
    .type cafe__ctx_trampoline, %function
cafe__ctx_trampoline:
    mov x0, x19
    blr x20
    brk #0
    .size cafe__ctx_trampoline, .-cafe__ctx_trampoline

    .section .note.GNU-stack,"",%progbits
