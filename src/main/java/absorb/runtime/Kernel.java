package absorb.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * One method of a {@link TorchScript}, with the way it must run. Arguments are tensors, prebuilt {@link IValue}s
 * (kept open: the caller owns them), booleans, integers or doubles.
 */
public final class Kernel {

    /** How a kernel runs with respect to autograd. */
    public enum Mode {
        /**
         * In inference mode when gradients are off (faster), else recorded by autograd: the ordinary forward
         * computation.
         */
        COMPUTES,
        /**
         * Outside inference mode always: its results become weights, and a tensor made in inference mode can never
         * enter autograd later (weights cast or laid out at load time are trained against, as in LoRA over a bfloat16
         * base).
         */
        MAKES_WEIGHTS,
        /**
         * With autograd off but outside inference mode: it computes gradients by hand (its results are constants to
         * autograd) and those results then enter autograd.
         */
        WRITES_GRADIENTS
    }

    /*
     * DJL's public way to run a TorchScript method disables autograd; training needs it on. The native call it wraps
     * takes a flag for that, so absorb calls it directly (by reflection: DJL keeps it package-private), as it does
     * the IValue constructor for the result.
     */
    private static final Method RUN_METHOD;
    private static final Object LIBRARY;
    private static final Constructor<IValue> IVALUE;

    static {
        try {
            Class<?> lib = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
            Field f = lib.getDeclaredField("LIB");
            f.setAccessible(true);
            LIBRARY = f.get(null);
            RUN_METHOD = lib.getDeclaredMethod("moduleRunMethod", long.class, String.class, long[].class,
                    boolean.class, boolean.class);
            RUN_METHOD.setAccessible(true);
            IVALUE = IValue.class.getDeclaredConstructor(long.class);
            IVALUE.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final TorchScript script;
    private final String method;
    private final Mode mode;

    Kernel(TorchScript script, String method, Mode mode) {
        this.script = script;
        this.method = method;
        this.mode = mode;
    }

    public String name() {
        return method;
    }

    /** Runs the kernel; the caller closes the result. */
    public IValue call(Object... args) {
        IValue[] in = new IValue[args.length];
        boolean[] owned = new boolean[args.length];
        try {
            for (int i = 0; i < args.length; i++) {
                Object a = args[i];
                owned[i] = !(a instanceof IValue);
                if (a instanceof IValue v) in[i] = v;
                else if (a instanceof PtNDArray t) in[i] = IValue.from(t);
                else if (a instanceof Boolean b) in[i] = IValue.from(b);
                else if (a instanceof Integer n) in[i] = IValue.from(n.longValue());
                else if (a instanceof Long n) in[i] = IValue.from(n);
                else if (a instanceof Double || a instanceof Float) in[i] = IValue.from(((Number) a).doubleValue());
                else throw new IllegalArgumentException(method + ": cannot pass a " + a.getClass().getSimpleName());
            }
            boolean gradMode = JniUtils.isGradMode();
            if (!gradMode && mode != Mode.MAKES_WEIGHTS) return IValueUtils.runMethod(script.module(), method, in);
            long[] handles = new long[in.length];
            for (int i = 0; i < in.length; i++) handles[i] = in[i].getHandle();
            boolean off = gradMode && mode == Mode.WRITES_GRADIENTS;
            if (off) JniUtils.setGradMode(false);
            try {
                long out = (long) RUN_METHOD.invoke(LIBRARY, script.module().getHandle(), method, handles, true, false);
                return IVALUE.newInstance(out);
            } catch (InvocationTargetException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            } finally {
                if (off) JniUtils.setGradMode(true);
            }
        } finally {
            for (int i = 0; i < in.length; i++) if (owned[i] && in[i] != null) in[i].close();
        }
    }

    /** Runs a kernel that returns a tensor, which lands in {@code scope}. */
    public NDArray tensor(NDManager scope, Object... args) {
        return tensor(call(args), scope);
    }

    /** Runs a kernel that returns a tuple of tensors, which land in {@code scope}. */
    public NDArray[] tuple(NDManager scope, Object... args) {
        try (IValue result = call(args)) {
            IValue[] parts = result.toIValueTuple();
            NDArray[] out = new NDArray[parts.length];
            for (int i = 0; i < parts.length; i++) {
                out[i] = parts[i].toTensor((PtNDManager) scope);
                parts[i].close();
            }
            return out;
        }
    }

    /** Runs a kernel that returns a list of tensors, which land in {@code scope}. */
    public NDArray[] list(NDManager scope, Object... args) {
        try (IValue result = call(args)) {
            return result.toTensorArray((PtNDManager) scope);
        }
    }

    /** Runs a kernel for its effect (it returns a number, which is dropped). */
    public void run(Object... args) {
        call(args).close();
    }

    private static NDArray tensor(IValue result, NDManager scope) {
        try (result) {
            return result.toTensor((PtNDManager) scope);
        }
    }
}
