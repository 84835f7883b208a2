"""Writes opset-21 models whose MatMul weight is a blocked DequantizeLinear
(block_size 32 along K) of a constant int8/uint8 tensor, with and without
zero points, and an input for each: weight-only 8-bit models as other
quantizers write them in standard ONNX. With --qdq-activations, A goes
through QuantizeLinear/DequantizeLinear first (per tensor, u8 with a zero
point and s8 without): models with int8 activations and group-wise weights
(the integer form qopt runs on its W4A8 kernel).

    make_blocked_dq_models.py OUT_DIR [--qdq-activations]

writes OUT_DIR/<name>.onnx, OUT_DIR/<name>.A.npy and OUT_DIR/models.txt.
"""
import numpy as np, onnx, sys
from onnx import helper, TensorProto, numpy_helper
rng=np.random.default_rng(3)
K,N,bs=128,24,32
def model(signed, zp, act=None, rows=3, gemm_bias=False):
    q = rng.integers(-128 if signed else 0, 128 if signed else 256, size=(K,N)).astype(np.int8 if signed else np.uint8)
    sc = rng.uniform(0.001,0.01,size=(K//bs,N)).astype(np.float32)
    inits=[numpy_helper.from_array(q,"Wq"), numpy_helper.from_array(sc,"S")]
    ins=["Wq","S"]
    if zp:
        z=rng.integers(-20 if signed else 100, 20 if signed else 150, size=(K//bs,N)).astype(np.int8 if signed else np.uint8)
        inits.append(numpy_helper.from_array(z,"Z")); ins.append("Z")
    nodes=[helper.make_node("DequantizeLinear",ins,["W"],axis=0,block_size=bs,name="dq")]
    a="A"
    if act:
        # Activation QDQ: u8 scale 0.02 zero point 131, or s8 scale 0.03.
        unsigned = act == "u8"
        inits += [numpy_helper.from_array(np.array(0.02 if unsigned else 0.03, np.float32), "as"),
                  numpy_helper.from_array(np.array(131 if unsigned else 0, np.uint8 if unsigned else np.int8), "az")]
        nodes = [helper.make_node("QuantizeLinear",["A","as","az"],["Aq"],name="qa"),
                 helper.make_node("DequantizeLinear",["Aq","as","az"],["Ad"],name="dqa")] + nodes
        a="Ad"
    if gemm_bias:
        inits.append(numpy_helper.from_array(rng.standard_normal(N).astype(np.float32), "C"))
        nodes.append(helper.make_node("Gemm",[a,"W","C"],["Y"],name="mm"))
    else:
        nodes.append(helper.make_node("MatMul",[a,"W"],["Y"],name="mm"))
    g=helper.make_graph(nodes,"g",[helper.make_tensor_value_info("A",TensorProto.FLOAT,[rows,K])],[helper.make_tensor_value_info("Y",TensorProto.FLOAT,[rows,N])],inits)
    m=helper.make_model(g,opset_imports=[helper.make_opsetid("",21)]); m.ir_version=10
    return m
out=sys.argv[1]
import os
names=[]
configs=(("blocked_s8_zp",True,True,None,3,False),("blocked_u8_zp",False,True,None,3,False),
         ("blocked_s8",True,False,None,3,False))
if "--qdq-activations" in sys.argv[2:]:
    # 3 rows (the kernel's rows path) and 10 (its tiles with AVX-512 VNNI).
    # A Gemm with a float bias C too.
    configs=(("u8act_blocked_u8_zp",False,True,"u8",3,False),
             ("s8act_blocked_s8",True,False,"s8",10,False),
             ("u8act_blocked_s8_zp",True,True,"u8",10,False),
             ("u8act_gemm_bias",False,True,"u8",10,True))
for name,signed,zp,act,rows,gemm_bias in configs:
    onnx.save(model(signed,zp,act,rows,gemm_bias), os.path.join(out,name+".onnx")); names.append(name)
    np.save(os.path.join(out,name+".A.npy"), rng.standard_normal((rows,K)).astype(np.float32))
open(os.path.join(out,"models.txt"),"w").write("\n".join(names)+"\n")
