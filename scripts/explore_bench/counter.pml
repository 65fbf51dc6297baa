/* The counter of gilsim's explore benchmark as a Promela model: THREADS workers each run
   r = i; r = r + 1; i = r  ITERATIONS times. SPIN explores every interleaving of these
   statements (with its partial-order reduction); the final assertion lists nothing, it only
   makes every end state checked. Build: spin -DTHREADS=3 -DITERATIONS=3 -a counter.pml */
#ifndef THREADS
#define THREADS 3
#endif
#ifndef ITERATIONS
#define ITERATIONS 3
#endif
byte i = 0;
byte done = 0;
active [THREADS] proctype worker() {
    byte r;
    byte k = 0;
    do
    :: k < ITERATIONS -> r = i; r = r + 1; i = r; k++
    :: else -> break
    od;
    done++
}
active proctype check() {
    (done == THREADS) -> assert(i >= 1 && i <= THREADS * ITERATIONS)
}
