/* noop: the smallest spp plugin. It prints nothing, so the command goes on; used to measure cost. */
int main(void)
{
    return 0;
}
